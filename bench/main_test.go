package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A tiny run, so the program keeps working; the real figures come from
// `go run ./bench`.
func TestBenchSmoke(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"-only", "scan", "-n", "1500", "-week", "300", "-runs", "1", "-dir", t.TempDir()}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"weekly digest", "reminder scan", "× the history: digest"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if code := run(context.Background(), []string{"-n", "10", "-week", "20"}, &out, &errs); code != 2 {
		t.Errorf("bad flags: exit %d, want 2", code)
	}
}
