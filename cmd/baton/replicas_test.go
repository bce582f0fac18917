package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store/pgstore"
)

var (
	trials  = flag.Int("trials", 1, "TestReplicas: trials of three replicas with one SIGKILLed")
	senders = flag.Int("senders", 200, "TestReplicas: concurrent senders per trial")
	each    = flag.Int("each", 1, "TestReplicas: proposals per sender per trial")
)

// replicaOwners is how many domains (each with its own owner, so its own
// DM lane) the proposals spread over.
const replicaOwners = 40

// TestReplicas is the replica proof: three `baton serve` processes on one
// PostgreSQL database and one fake Slack take signed proposals from 200
// concurrent senders spread across them; one replica, chosen at random, is
// SIGKILLed at a random moment and a fresh one started. Every trial asserts
// no acknowledged proposal lost, no duplicate decision, every DM posted
// exactly once, and the week's digest (missed, so each new leader's catch-up
// considers it) posted exactly once. `go test ./cmd/baton -run TestReplicas
// -trials 10` runs more.
func TestReplicas(t *testing.T) {
	needPostgres(t)
	bin := filepath.Join(t.TempDir(), "baton")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build baton: %v\n%s", err, out)
	}
	for i := range *trials {
		t.Run(fmt.Sprintf("trial%d", i+1), func(t *testing.T) { replicaTrial(t, bin) })
	}
}

// replica is one `baton serve` process.
type replica struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  strings.Builder
	dead bool
}

var listenLog = regexp.MustCompile(`msg="baton serving".* listen=(\S+)`)

func startReplica(t *testing.T, bin, cfg string) *replica {
	t.Helper()
	r := &replica{cmd: exec.Command(bin, "serve", "-config", cfg)}
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.mu.Lock()
			r.log.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			if m := listenLog.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case r.addr = <-addr:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		t.Fatalf("replica did not start:\n%s", r.logs())
	}
	t.Cleanup(func() {
		if !r.dead {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	})
	return r
}

func (r *replica) logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

func (r *replica) isDead() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dead
}

func (r *replica) kill() {
	r.mu.Lock()
	r.dead = true
	r.mu.Unlock()
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	_ = r.cmd.Wait()
}

func replicaConfig(t *testing.T, dsn, api string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("slack:\n  bot_token: xoxb-test\n  signing_secret: s3cret\n  api_url: " + api + "\n" +
		"server:\n  listen: 127.0.0.1:0\n  admin_listen: 127.0.0.1:0\n" +
		"store:\n  driver: postgres\n  dsn: '" + dsn + "'\n" +
		"timezone: UTC\ndefault_domain: company\n" +
		"digest:\n  channels: [CDIGEST1]\n" +
		"domains:\n  - name: company\n    owners: [U01MAYA01]\n    announce: false\n")
	for i := range replicaOwners {
		fmt.Fprintf(&b, "  - name: area%02d\n    owners: [U02OWN%04d]\n    announce: false\n    match:\n      keywords: [topic%02d]\n", i, i, i)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func replicaTrial(t *testing.T, bin string) {
	dsn := pgTestDSN(t)
	fake := slackfake.New()
	fake.AddUser(slackfake.User{ID: "U01MAYA01", Name: "maya"})
	for i := range replicaOwners {
		fake.AddUser(slackfake.User{ID: fmt.Sprintf("U02OWN%04d", i), Name: fmt.Sprintf("owner%d", i)})
	}
	for s := range *senders {
		fake.AddUser(slackfake.User{ID: fmt.Sprintf("U03SND%04d", s), Name: fmt.Sprintf("sender%d", s)})
	}
	api := fake.Start()
	defer fake.Close()

	// The digest last ran over a week ago: whichever replica leads first
	// catches it up, and no later leader may send it again.
	ctx := t.Context()
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CompleteRun("digest", time.Now().Add(-8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	cfg := replicaConfig(t, dsn, api)
	reps := []*replica{startReplica(t, bin, cfg), startReplica(t, bin, cfg), startReplica(t, bin, cfg)}
	var repMu sync.Mutex
	alive := func(i int) *replica {
		repMu.Lock()
		defer repMu.Unlock()
		for k := range reps {
			if r := reps[(i+k)%len(reps)]; !r.isDead() {
				return r
			}
		}
		return nil
	}

	// Kill one replica at a random moment of the sending, then start a
	// fresh one, as a crash and a restart do.
	killAfter := time.Duration(rand.IntN(2000)) * time.Millisecond // while sending, or while the leader delivers
	victim := rand.IntN(len(reps))
	killed := make(chan struct{})
	var victimLed bool
	go func() {
		defer close(killed)
		time.Sleep(killAfter)
		victimLed = strings.Contains(reps[victim].logs(), "msg=\"leading: ")
		reps[victim].kill()
		r := startReplica(t, bin, cfg)
		repMu.Lock()
		reps = append(reps, r)
		repMu.Unlock()
	}()

	var mu sync.Mutex
	acked := map[string]string{} // title → decision id
	failed := 0
	var wg sync.WaitGroup
	start := time.Now()
	for s := range *senders {
		wg.Go(func() {
			for i := range *each {
				title := fmt.Sprintf("topic%02d plan %d-%d", (s+i)%replicaOwners, s, i)
				r := alive(s + i)
				if r == nil {
					return
				}
				id, err := signedPropose("http://"+r.addr, fmt.Sprintf("U03SND%04d", s), title, s*10+i)
				mu.Lock()
				if err != nil {
					failed++ // not acknowledged: Slack shows the user an error
				} else {
					acked[title] = id
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sent := time.Since(start)
	<-killed

	// Wait for the outbox to drain, through whichever replica leads.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		n, err := st.OutboxLen()
		if err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d messages (err %v)", n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	drained := time.Since(start)

	// Decisions: every acknowledged one stored under its id, none twice.
	byTitle := map[string][]decisions.Decision{}
	if err := st.Each(func(d decisions.Decision) error {
		byTitle[d.Title] = append(byTitle[d.Title], d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	lost, dups := 0, 0
	for title, id := range acked {
		ds := byTitle[title]
		if len(ds) == 0 || ds[0].ID.String() != id {
			lost++
			t.Errorf("acknowledged %s (%q) is not stored", id, title)
		}
	}
	for title, ds := range byTitle {
		if len(ds) > 1 {
			dups++
			t.Errorf("%q stored %d times", title, len(ds))
		}
	}
	// Messages: every decision's DM posted exactly once; one digest.
	posted := map[string]int{}
	digests := 0
	for _, p := range fake.Posts() {
		if p.Method != "chat.postMessage" {
			continue
		}
		if p.Channel == "CDIGEST1" {
			digests++
		}
		var md struct {
			EventPayload struct {
				Key string `json:"key"`
			} `json:"event_payload"`
		}
		if json.Unmarshal(p.Metadata, &md) == nil && md.EventPayload.Key != "" {
			posted[md.EventPayload.Key]++
		}
	}
	dupMsgs, lostMsgs := 0, 0
	for key, n := range posted {
		if n > 1 {
			dupMsgs++
			t.Errorf("%s posted %d times", key, n)
		}
	}
	for _, ds := range byTitle {
		for _, d := range ds {
			for _, u := range d.Deciders {
				if posted[d.ID.String()+"/dm/"+u] == 0 {
					lostMsgs++
					t.Errorf("%s's DM to %s was never posted", d.ID, u)
				}
			}
		}
	}
	if digests != 1 {
		t.Errorf("digest posted %d times, want once", digests)
	}
	role := "a follower"
	if victimLed {
		role = "the leader"
	}
	t.Logf("killed replica %d (%s) after %v; %d senders: %d acknowledged, %d refused by the dead replica, %d stored; sent in %v, all delivered after %v; lost %d, duplicate decisions %d, duplicate messages %d, lost messages %d, digests %d",
		victim+1, role, killAfter, *senders, len(acked), failed, len(byTitle), sent.Round(time.Millisecond), drained.Round(time.Millisecond), lost, dups, dupMsgs, lostMsgs, digests)
	if t.Failed() {
		for i, r := range reps {
			t.Logf("replica %d log:\n%s", i+1, r.logs())
		}
	}
	// The survivors stop cleanly on SIGTERM.
	for _, r := range reps {
		if r.isDead() {
			continue
		}
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- r.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("replica exit on SIGTERM: %v\n%s", err, r.logs())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("replica did not stop on SIGTERM")
		}
		r.mu.Lock()
		r.dead = true
		r.mu.Unlock()
	}
}
