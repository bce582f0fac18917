package bot_test

// Review of fe6bc17 (Router.UsesLoad): the open load is read only when the
// router in force has a least_loaded domain. After a reload that turns
// least_loaded on, proposals must see the load again.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-app/baton/config"
)

func TestReloadTurnsLeastLoadedOn(t *testing.T) {
	path := filepath.Join("..", "config.example.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	withLL := string(data)
	withoutLL := strings.Replace(withLL, "assign: least_loaded", "assign: all", 1)
	if withoutLL == withLL {
		t.Fatal("the example has no least_loaded domain; update this test")
	}
	e := newE2E(t, e2eOptions{configYAML: withoutLL})
	if e.app.Router().UsesLoad() {
		t.Fatal("router without least_loaded reports UsesLoad")
	}
	next, err := config.Parse(path, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.app.Reload(e.ctx(), next); err != nil {
		t.Fatal(err)
	}
	if !e.app.Router().UsesLoad() {
		t.Fatal("after reload to least_loaded, the router in force does not use the load")
	}
	const n = 6
	for i := range n {
		e.command(ravi, chRandom, fmt.Sprintf("Deploy service %d to the new kubernetes cluster", i))
	}
	wantSpreadOverInfra(t, e, n)
}
