package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/baton-app/baton/store"
)

// adminSocket is where a running serve answers `baton backup`: bbolt
// locks the file exclusively, so a second process cannot read it. A Unix
// socket beside the store (mode 0600) keeps this off the network.
func adminSocket(storePath string) string { return storePath + ".sock" }

// serveAdmin serves GET /backup on the admin socket until ctx is done.
func serveAdmin(ctx context.Context, st *store.Store, path string, log *slog.Logger) (stop func(), err error) {
	_ = os.Remove(path) // a stale socket from a crash; the store lock proves we are alone
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		n, err := st.Backup(w)
		if err != nil {
			log.Error("backup over admin socket", "err", err)
			// Break the response off: a cleanly ended body would pass a
			// truncated copy off as a complete one.
			panic(http.ErrAbortHandler)
		}
		log.Info("backup streamed", "bytes", n)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = os.Remove(path)
	}, nil
}

// backupViaServer asks a running serve for a consistent copy.
func backupViaServer(ctx context.Context, storePath, dest string) (int64, error) {
	sock := adminSocket(storePath)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://baton/backup", nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s is locked: is another baton running on this file? It did not answer on its admin socket %s (%v); run backup on the host where it runs, or stop it and try again", storePath, sock, unwrapNet(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("running baton answered %s", resp.Status)
	}
	tmp := dest + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkCopy(tmp)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("backup from the running baton to %s: %w", dest, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("backup to %s: %w", dest, err)
	}
	return n, nil
}

// checkCopy opens a copy received over the socket, so a damaged one never
// replaces a good backup.
func checkCopy(path string) error {
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("the copy received is not a usable store: %w", err)
	}
	if _, err := st.Count(); err != nil {
		_ = st.Close()
		return fmt.Errorf("the copy received is not a usable store: %w", err)
	}
	return st.Close()
}

// unwrapNet keeps the last, telling part of a dial error ("connect: no
// such file or directory") instead of the whole Get "http://…" chain.
func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// isLocked reports whether opening the store failed because another
// process holds it.
func isLocked(err error) bool {
	return errors.Is(err, store.ErrLocked)
}
