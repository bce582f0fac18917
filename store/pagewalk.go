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
func walkPages(path string, tx *bolt.Tx) error { return walk(path, tx, true) }

// quickWalk is the walk Open runs: it reads the bucket directory and every
// branch page in full, but of the leaf pages below a branch it reads only
// the first (which says the level below is leaves) and checks the others'
// ids without reading them. That is a few percent of the file instead of
// all of it, so a large store opens in milliseconds; damage inside a leaf
// page is found when it is read, where serve contains the failure and
// stops with the same advice (see bot's damage handling), and by the full
// walk of check -store, restore and CheckPages.
func quickWalk(path string, tx *bolt.Tx) error { return walk(path, tx, false) }

// fullWalkUpTo is the largest store Open reads whole: 512 MiB (about
// 270,000 decisions) takes some tens of milliseconds; a store of 2 GB
// would take a second of start-up, so it gets quickWalk.
const fullWalkUpTo = 512 << 20

// openWalk is the walk Open runs: every page of a store up to
// fullWalkUpTo, quickWalk for a larger one.
func openWalk(path string, tx *bolt.Tx) error {
	return walk(path, tx, tx.Size() <= fullWalkUpTo)
}

func walk(path string, tx *bolt.Tx, full bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	w := pageWalker{
		path: path, f: f, full: full,
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
	// full reads every page; otherwise leaves after the first below a
	// branch are only range-checked (see quickWalk). inBucket counts the
	// buckets being walked into: the root tree (the bucket directory) is
	// always read whole, since its leaves hold the buckets.
	full     bool
	inBucket int
	// flags is the flags of the last page tree read.
	flags uint16
	ps    uint64 // page size
	hwm   uint64 // pages at or above this are not in use
	seen  map[uint64]bool
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
	w.flags = le.Uint16(buf[8:])
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
		leaves := false // the level below is leaf pages, learned from the first child
		for i := range count {
			off := pageHeaderSize + i*pageElementSize
			e := buf[off : off+pageElementSize]
			pos, ksize, child := uint64(le.Uint32(e)), uint64(le.Uint32(e[4:])), le.Uint64(e[8:])
			if off+pos+ksize > size {
				return damaged(w.path, "page %d: key %d lies outside the page", id, i)
			}
			if leaves && !w.full && w.inBucket > 0 {
				if child < 2 || child >= w.hwm {
					return damaged(w.path, "page %d points at page %d, outside the %d pages in use", id, child, w.hwm)
				}
				if w.seen[child] {
					return damaged(w.path, "page %d is reached twice (again from page %d)", child, id)
				}
				w.seen[child] = true
				continue
			}
			if err := w.tree(child, id, depth+1); err != nil {
				return err
			}
			if i == 0 {
				leaves = w.flags == leafPageFlag
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
				w.inBucket++
				err := w.tree(root, id, depth+1)
				w.inBucket--
				if err != nil {
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
