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

// TestIngestAndDelivery runs both sections small: every proposal is
// acknowledged, and the drain loses, doubles and reorders nothing.
func TestIngestAndDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of real time")
	}
	var f figures
	var out bytes.Buffer
	o := options{quick: true, tiny: true}
	runs, err := benchIngest(t.Context(), o, t.TempDir(), &f, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[2].Senders != 200 || runs[2].Acked == 0 {
		t.Errorf("ingest runs = %+v", runs)
	}
	d, err := benchDelivery(t.Context(), o, t.TempDir(), &f, &out)
	if err != nil {
		t.Fatal(err)
	}
	if d.Lost != 0 || d.Duplicated != 0 || d.Inversions != 0 {
		t.Errorf("delivery: %+v", d)
	}
	var js bytes.Buffer
	if err := f.json(&js, nil); err != nil || !strings.Contains(js.String(), `"share of the allowed rate"`) {
		t.Errorf("json: %v\n%s", err, js.String())
	}
}

// TestCrashLoop kills `baton serve` under load a few times: no
// acknowledged proposal is lost, none is stored twice, and no message is
// posted twice or lost (messages not yet posted are still in the outbox).
// `go run ./bench -only crash -trials N` runs it longer.
func TestCrashLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs baton serve")
	}
	r, err := crashLoop(t.Context(), t.TempDir(), 3, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if r.Kills != 3 || r.Acked == 0 {
		t.Fatalf("the loop did not run: %+v", r)
	}
	if r.AckedLost != 0 || r.DuplicateDecision != 0 || r.DuplicateMessages != 0 || r.LostMessages != 0 {
		t.Errorf("after %d kills: %+v", r.Kills, r)
	}
}
