package shell

import (
	"context"
	"strings"
	"testing"
)

// FuzzExec feeds the console arbitrary lines: none may panic (exec, unlike
// Exec, does not recover), and only quit and exit may end the session.
// Each input gets a fresh console with one decision in it, so a failure
// reproduces from its input alone (and a shared store does not grow until
// a year's tick crawls through thousands of decisions).
func FuzzExec(f *testing.F) {
	for _, seed := range []string{
		"/decide raise the team plan price #pricing",
		"/decide approve D-1 ok", "/decide defer D-1 until friday", "/decide reassign D-1 @priya",
		"@baton adopt OpenTelemetry by friday", "@baton", "@Baton: hi <@U1> & <!channel>",
		"as priya", "as U03PRIYA6", "as @", "as Ulrich", "in C03ENGINE1", "in <#C01GENERAL|general>", "in D",
		"click D-1 approve fine", "click D-1 defer 3d later", "click D-1 defer next week", "click D-1 advice @fatima why",
		"click D-1 reassign @ravi U01MAYA01", "click D-99999999999999999999 approve", "click D-1 reject",
		"tick +1d", "tick +1w2d", "tick 2027-01-01T09:00", "tick +-1h", "tick +9223372036854775807ns", "tick 9999-99-99",
		"now", "home", "help", "people", "whoami", "# comment", "", "   ", "/", "@", "\x00\xff", "click", "tick",
	} {
		f.Add(seed)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, line string) {
		c, _ := newConsole(t, monday)
		c.exec(ctx, "/decide adopt a new logo #ux")
		quit := c.exec(ctx, line)
		word := strings.ToLower(strings.Fields(line + " x")[0])
		if quit && word != "quit" && word != "exit" {
			t.Errorf("%q ended the session", line)
		}
	})
}
