package main

import (
	"os"
	"strings"
	"testing"
)

// readmeBlock returns the fenced block of README.md that starts with the
// line first, without its fences.
func readmeBlock(t *testing.T, first string) []string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "```\n"+first+"\n")
	if !ok {
		t.Fatalf("README.md has no block starting with %q", first)
	}
	body, _, _ := strings.Cut(rest, "```\n")
	return append([]string{first}, strings.Split(strings.TrimRight(body, "\n"), "\n")...)
}

// The README promises the demo's Friday digest exactly as it prints,
// whatever day the demo is run: the script fixes its own clock.
func TestReadmeDigestIsWhatTheDemoPrints(t *testing.T) {
	want := readmeBlock(t, "#C01LEADERS")
	script, err := os.ReadFile("../../examples/demo.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{"2026-11-30T10:00", "2027-03-17T18:45"} {
		code, out, errOut := runShellCLI(t, string(script), nil, "-memory", "-start", start)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		lines := strings.Split(out, "\n")
		var got []string
		for i, l := range lines {
			if l != "#C01LEADERS" {
				continue
			}
			got = []string{l}
			for _, m := range lines[i+1:] {
				if !strings.HasPrefix(m, "    ") {
					break
				}
				got = append(got, strings.TrimPrefix(m, "    "))
			}
			break
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("started %s, the demo's digest is:\n%s\n\nthe README shows:\n%s", start, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
