package shell

import (
	"strings"
	"testing"
)

// The register from the console: text that only looks like a command is
// answered, not proposed, until `click written`; the new verbs and buttons
// work as in Slack.
func TestRegisterInTheConsole(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, `
as tom
in C02PRODUCT
/decide Launch the public beta in March #product
/decide not mine D-1
/decide revisit D-1 in 6 months
`)
	mustContain(t, got, "`not mine` is not one of my commands", "`/decide decline D-1`", "`/decide review D-1 in 6 months`", "[Propose as written]")
	mustNotContain(t, got, "Proposed D-2")

	got = run(t, c, out, "click written\n")
	mustContain(t, got, "Proposed D-2", "revisit D-1")

	got = run(t, c, out, `
/decide comment D-1 sales wants a grace period
/decide search grace
/decide edit D-1 Launch the public beta in April #pricing
as sofia
click D-1 notmine this is roadmap, not pricing
`)
	mustContain(t, got, "commented on D-1", "Search: grace (1)", "It moved to product/pricing",
		"Why is it not yours?: \"this is roadmap, not pricing\"", "one level up from product/pricing")

	got = run(t, c, out, `
as ravi
/decide approve D-1 go, review 2026-12-10
tick 2026-12-10T10:00
`)
	mustContain(t, section(got, "DM → Ravi Patel"), "Review due", "[Keep] [Revisit]")
	mustContain(t, got, "DM → Tom Okafor (the same message)")
	got = run(t, c, out, "as tom\nclick D-1 keep\n")
	mustContain(t, got, "kept as it is")
	if strings.Contains(got, "no keep button") {
		t.Errorf("keep was not found in Tom's DMs:\n%s", got)
	}
}

// registerMoments are what the demo's register section must show, whatever
// day it starts on (TestDemoScriptOnEveryWeekday runs it).
var registerMoments = []string{
	"`not mine` is not one of my commands",
	"D-8 now goes to @Fatima Zahra in finance",
	"add keyword `receipt` to finance — 2 misroutes: D-8, D-9",
	"Review on",
	"Review due: D-8",
	"kept D-8",
	"reviewed it: kept",
}
