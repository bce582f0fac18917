package store

import (
	"encoding/binary"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// bbolt's page layout (go.etcd.io/bbolt/internal/common/page.go), read here
// with ReadAt instead of through bbolt's memory map.
const (
	branchPageFlag  = 0x01
	leafPageFlag    = 0x02
	bucketLeafFlag  = 0x01 // a leaf element whose value is a bucket
	pageElementSize = 16   // branch: pos, ksize, pgid; leaf: flags, pos, ksize, vsize
	bucketHeader    = 16   // root pgid, sequence; an inline bucket's page follows
	// maxDepth bounds the walk: bbolt's trees are a few levels deep per
	// bucket, nested buckets add theirs; a deeper chain is damage.
	maxDepth = 256
)

// walkPages checks, page by page, everything bbolt trusts when it reads
// the tree of tx: each page reached is below the high-water mark, is the
// page its header says, is a branch or leaf page, and every element's key
// and value lie inside it; a page reached twice is damage too.
//
// It reads the file with ReadAt in the calling goroutine, so a damaged
// file yields an error instead of a memory fault. That matters because
// bbolt's tx.Check reads through the map in a goroutine of its own, where
// neither recover nor SetPanicOnFault reaches: a bad offset there kills the
// process. Run this first and tx.Check only ever reads pages whose bounds
// are known good. It does not decode keys or values, so it costs one read
// of the file.
//
// The pages reachable from tx's root are not rewritten while tx is open
// (bbolt copies on write), so reading them from the file is consistent
// with what tx sees.
func walkPages(path string, tx *bolt.Tx) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	w := pageWalker{
		path: path, f: f,
		ps:   uint64(tx.DB().Info().PageSize),
		seen: map[uint64]bool{},
	}
	if w.ps == 0 {
		return damaged(path, "page size is zero")
	}
	w.hwm = uint64(tx.Size()) / w.ps
	return w.tree(uint64(tx.Cursor().Bucket().Root()), 0, 0)
}

type pageWalker struct {
	path string
	f    *os.File
	ps   uint64 // page size
	hwm  uint64 // pages at or above this are not in use
	seen map[uint64]bool
	// bufs[d] holds the page being checked at depth d of the tree: a
	// branch's buffer stays in use while its children are read.
	bufs [][]byte
}

// buf is depth's buffer, n bytes long, keeping what it held.
func (w *pageWalker) buf(depth int, n uint64) []byte {
	for len(w.bufs) <= depth {
		w.bufs = append(w.bufs, nil)
	}
	if b := w.bufs[depth]; uint64(cap(b)) < n {
		grown := make([]byte, n)
		copy(grown, b[:cap(b)])
		w.bufs[depth] = grown
	}
	return w.bufs[depth][:n]
}

// tree checks the page id and, through it, every page below it. from is
// the page that points at it, for the message; depth is how deep it is.
func (w *pageWalker) tree(id, from uint64, depth int) error {
	if depth > maxDepth {
		return damaged(w.path, "the tree below page %d is deeper than %d levels", from, maxDepth)
	}
	if id < 2 || id >= w.hwm {
		return damaged(w.path, "page %d points at page %d, outside the %d pages in use", from, id, w.hwm)
	}
	if w.seen[id] {
		return damaged(w.path, "page %d is reached twice (again from page %d)", id, from)
	}
	buf := w.buf(depth, w.ps)
	if _, err := w.f.ReadAt(buf, int64(id*w.ps)); err != nil {
		return damaged(w.path, "cannot read page %d: %v", id, err)
	}
	le := binary.NativeEndian // bbolt writes pages in the host's byte order
	if got := le.Uint64(buf); got != id {
		return damaged(w.path, "page %d says it is page %d", id, got)
	}
	if overflow := uint64(le.Uint32(buf[12:])); overflow > 0 {
		if id+overflow >= w.hwm {
			return damaged(w.path, "page %d runs %d pages past the %d in use", id, overflow, w.hwm)
		}
		buf = w.buf(depth, (overflow+1)*w.ps) // keeps the first page's bytes
		if _, err := w.f.ReadAt(buf[w.ps:], int64((id+1)*w.ps)); err != nil {
			return damaged(w.path, "cannot read page %d: %v", id, err)
		}
		for p := id + 1; p <= id+overflow; p++ {
			if w.seen[p] {
				return damaged(w.path, "page %d overlaps page %d", id, p)
			}
			w.seen[p] = true
		}
	}
	w.seen[id] = true
	return w.page(buf, id, depth)
}

// page checks one page held in buf (a whole page with its overflow, or an
// inline bucket's value) and the pages it points at.
func (w *pageWalker) page(buf []byte, id uint64, depth int) error {
	le := binary.NativeEndian
	if len(buf) < pageHeaderSize {
		return damaged(w.path, "page %d is shorter than a page header", id)
	}
	flags, count := le.Uint16(buf[8:]), uint64(le.Uint16(buf[10:]))
	size := uint64(len(buf))
	if pageHeaderSize+count*pageElementSize > size {
		return damaged(w.path, "page %d claims %d elements, more than it holds", id, count)
	}
	switch flags {
	case branchPageFlag:
		// bbolt's cursor steps to element -1 of an empty branch page.
		if count == 0 {
			return damaged(w.path, "branch page %d is empty", id)
		}
		for i := range count {
			off := pageHeaderSize + i*pageElementSize
			e := buf[off : off+pageElementSize]
			pos, ksize, child := uint64(le.Uint32(e)), uint64(le.Uint32(e[4:])), le.Uint64(e[8:])
			if off+pos+ksize > size {
				return damaged(w.path, "page %d: key %d lies outside the page", id, i)
			}
			if err := w.tree(child, id, depth+1); err != nil {
				return err
			}
		}
	case leafPageFlag:
		for i := range count {
			off := pageHeaderSize + i*pageElementSize
			e := buf[off : off+pageElementSize]
			eflags, pos := le.Uint32(e), uint64(le.Uint32(e[4:]))
			ksize, vsize := uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
			start := off + pos + ksize
			if start+vsize > size {
				return damaged(w.path, "page %d: element %d lies outside the page", id, i)
			}
			if eflags&bucketLeafFlag == 0 {
				continue
			}
			v := buf[start : start+vsize]
			if len(v) < bucketHeader {
				return damaged(w.path, "page %d: element %d is a bucket too short for its header", id, i)
			}
			if root := le.Uint64(v); root != 0 {
				if err := w.tree(root, id, depth+1); err != nil {
					return err
				}
				continue
			}
			// An inline bucket: its one leaf page is the rest of the value.
			if err := w.page(v[bucketHeader:], id, depth); err != nil {
				return err
			}
		}
	default:
		return damaged(w.path, "page %d is neither a branch nor a leaf page (flags %#x)", id, flags)
	}
	return nil
}

// CheckPages runs the page-bounds walk Open runs, on the open store: cheap
// (one read of the file, nothing decoded) and safe on a damaged file. It is
// how serve tells a store that went bad while serving from a bug.
func (s *Store) CheckPages() error {
	return guard(s.path, func() error {
		return s.db.View(func(tx *bolt.Tx) error { return walkPages(s.path, tx) })
	})
}
