package config

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/baton-app/baton/decisions"
)

// TestRouterErrorsKeepTheirLines: the router is only ever built through
// Config.Router, so even a problem found after Parse (here, a keyword
// changed in memory) names the file, line and field it came from.
func TestRouterErrorsKeepTheirLines(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`default_domain: product
domains:
  - name: company
    owners: [U01MAYA01]
  - name: product
    owners: [U01RAVI02]
    aliases: [prod]
    match:
      keywords: [feature, launch]
      channels: [C02PRODUCT]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	domains := slices.Clone(c.Domains)
	c.Domains[1].Keywords = []string{"feature", "c++"}
	c.Domains[1].Aliases = []string{"company"}
	c.Domains[1].Channels = []string{" "}
	c.DefaultDomain = "nowhere"
	_, err = c.Router(nil)
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Router error = %v, want *Errors", err)
	}
	want := []string{
		`c.yaml:1: default_domain: "nowhere" is not one of the configured domains`,
		`c.yaml:7: domains[1].aliases[0]: alias "company" is the name of domain "company"`,
		`c.yaml:9: domains[1].match.keywords[1]: keyword "c++" starts or ends with punctuation, which whole-word matching ignores; remove it`,
		`c.yaml:10: domains[1].match.channels[0]: channel id is empty`,
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Defusing the bad settings to find them all must not touch the config.
	if !slices.Equal(c.Domains[1].Keywords, []string{"feature", "c++"}) || c.Domains[1].Aliases[0] != "company" || c.Domains[0].Name != "company" {
		t.Errorf("Router changed the config: %+v", c.Domains)
	}

	c.Domains, c.DefaultDomain = domains, "product"
	if _, err := c.Router(nil); err != nil {
		t.Fatalf("restored config: %v", err)
	}
}

// TestRouterPeople: serve routes to the user ids it resolved; the mapping
// changes who decides, never which domain matches.
func TestRouterPeople(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`domains:
  - name: legal
    owners: [eva@example.com, S01LEGAL1]
    advisors: [U01FATIM3]
    match: {keywords: [contract]}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	resolved := map[string][]string{"eva@example.com": {"U07EVA007"}, "S01LEGAL1": {"U01MAYA01", "U07EVA007"}, "U01FATIM3": {"U01FATIM3"}}
	r, err := c.Router(func(ids []string) []string {
		var out []string
		for _, id := range ids {
			for _, u := range resolved[id] {
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Route(decisions.Request{Text: "sign the contract"})
	if got.Domain != "legal" || !slices.Equal(got.Deciders, []string{"U07EVA007", "U01MAYA01"}) || !slices.Equal(got.Advisors, []string{"U01FATIM3"}) {
		t.Errorf("route = %+v", got)
	}
	if !slices.Equal(c.Domains[0].Owners, []string{"eva@example.com", "S01LEGAL1"}) {
		t.Errorf("Router changed the configured owners: %q", c.Domains[0].Owners)
	}

	// A Config not made by Parse still builds, and errors without lines.
	bare := &Config{Domains: []decisions.Domain{{Name: "x", Owners: []string{"U1"}, Keywords: []string{"c++"}}}}
	if _, err := bare.Router(nil); err == nil || !strings.Contains(err.Error(), `domains[0].keywords[0]: keyword "c++"`) {
		t.Errorf("bare config: %v", err)
	}
}

// TestRouterBuiltOnlyHere keeps check and serve from drifting apart: no
// program code outside decisions/ and config/ builds a router itself; it
// calls Config.Router, which builds it as Parse validated it.
func TestRouterBuiltOnlyHere(t *testing.T) {
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "decisions" || name == "config") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "NewRouter" {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "decisions" {
					t.Errorf("%s calls decisions.NewRouter; use Config.Router, so check refuses what this refuses", path)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
