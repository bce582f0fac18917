package command

import (
	"errors"
	"testing"
)

// Proposals that start with a word close to a verb are proposals: only a
// typo-shaped miss is taken for a command when no decision id follows.
// Each of these was refused as a near miss of a verb before, or, for
// verbs that take no id, failed without a way to propose it.
func TestProseIsProposed(t *testing.T) {
	for _, tt := range []struct {
		in string
		// verb: parsed as this verb, offering AsWritten (search), or
		// refused with the Propose-as-written offer and this suggestion;
		// "" means proposed.
		verb Verb
	}{
		{"Lift the hiring freeze", ""},                               // not list
		{"Exit the Berlin office lease", ""},                         // not edit
		{"Slow down hiring", ""},                                     // not show
		{"Preview feature for enterprise customers", ""},             // not review
		{"Refer customers to partners", ""},                          // not defer
		{"Helm chart for the new service", ""},                       // not help
		{"Whom to hire next", ""},                                    // not who
		{"Comments on PRs need two approvals", ""},                   // a plural is a word
		{"Right to repair policy", ""},                               // not rights
		{"Advice line for customers", ""},                            // not advise
		{"Search ads budget for Q3", VerbSearch},                     // searched, and offered
		{"Help desk hours on weekends", VerbHelp},                    // refused, with the offer
		{"List prices go up 5% in April", VerbList},                  // refused, with the offer
		{"Away day in June #people", VerbAway},                       // refused, with the offer
		{"Rights of first refusal in the Acme contract", VerbRights}, // refused, with the offer
	} {
		got, err := testParser.Parse(tt.in, now)
		var e *Error
		switch {
		case tt.verb == "":
			if err != nil || got.Verb != VerbPropose {
				t.Errorf("Parse(%q) = %q, %v; want a proposal", tt.in, got.Verb, err)
			}
		case err == nil:
			if got.Verb != tt.verb || got.AsWritten != tt.in {
				t.Errorf("Parse(%q) = %q offering %q; want %q offering the text as written", tt.in, got.Verb, got.AsWritten, tt.verb)
			}
		case !errors.As(err, &e) || e.AsWritten != tt.in || len(e.Suggestions) == 0 || e.Suggestions[0] != tt.verb:
			t.Errorf("Parse(%q) = %v; want a %q error offering to propose it as written", tt.in, err, tt.verb)
		}
	}
}

// Typos and commands keep their answers.
func TestTyposAreStillCaught(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Verb
	}{
		{"aprove D-7 ok", VerbApprove},
		{"frobnicate D-3", VerbDecline}, // closest verbs, before an id
		{"not mine D-2", VerbDecline},
		{"lsit mine", VerbList},
		{"revisit D-1 in 6 months", VerbReview},
		{"aprove the budget", VerbApprove},   // one letter dropped
		{"withdarw the offer", VerbWithdraw}, // swapped
		{"reasign the hiring plan", VerbReassign},
	} {
		_, err := testParser.Parse(tt.in, now)
		var e *Error
		if !errors.As(err, &e) || e.AsWritten != tt.in || len(e.Suggestions) == 0 {
			t.Errorf("Parse(%q) = %v; want a suggestion offering to propose it as written", tt.in, err)
			continue
		}
		if tt.in != "frobnicate D-3" && e.Suggestions[0] != tt.want {
			t.Errorf("Parse(%q) suggests %q, want %q", tt.in, e.Suggestions, tt.want)
		}
	}
	// A short search is a search, nothing more.
	if c, err := testParser.Parse("search laptops", now); err != nil || c.AsWritten != "" {
		t.Errorf("search laptops = %+v, %v; want a plain search", c, err)
	}
	if c, err := testParser.Parse("help approve", now); err != nil || c.Verb != VerbHelp {
		t.Errorf("help approve = %+v, %v; want help", c, err)
	}
}
