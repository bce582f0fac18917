package decisions

import (
	"slices"
	"testing"
	"time"
)

func TestPeopleActing(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	away := func(del string) Presence { return Presence{AwayUntil: now.Add(24 * time.Hour), Delegate: del} }
	back := Presence{AwayUntil: now, Delegate: "UBEN"} // the window ended at now
	tests := []struct {
		name     string
		presence map[string]Presence
		user     string
		proposer string
		acting   string
	}{
		{"in", nil, "USOFIA", "", "USOFIA"},
		{"away with a delegate", map[string]Presence{"USOFIA": away("UBEN")}, "USOFIA", "", "UBEN"},
		{"the window has ended: the owner acts again", map[string]Presence{"USOFIA": back}, "USOFIA", "", "USOFIA"},
		{"a chain a → b → c", map[string]Presence{"USOFIA": away("UBEN"), "UBEN": away("UCLEO")}, "USOFIA", "", "UCLEO"},
		{"a loop a → b → a acts for nobody", map[string]Presence{"USOFIA": away("UBEN"), "UBEN": away("USOFIA")}, "USOFIA", "", ""},
		{"away with no delegate", map[string]Presence{"USOFIA": away("")}, "USOFIA", "", ""},
		{"delegate deactivated", map[string]Presence{"USOFIA": away("UBEN"), "UBEN": {Deactivated: true}}, "USOFIA", "", ""},
		{"deactivated", map[string]Presence{"USOFIA": {Deactivated: true}}, "USOFIA", "", ""},
		{"a delegate does not act on his own proposal", map[string]Presence{"USOFIA": away("UBEN")}, "USOFIA", "UBEN", ""},
		{"an owner may act on her own", nil, "USOFIA", "USOFIA", "USOFIA"},
		{"self-delegation is no delegation", map[string]Presence{"USOFIA": away("USOFIA")}, "USOFIA", "", ""},
	}
	for _, tt := range tests {
		p := People{Presence: tt.presence, Now: now}
		if got := p.ActingOn(tt.user, tt.proposer); got != tt.acting {
			t.Errorf("%s: ActingOn = %q, want %q", tt.name, got, tt.acting)
		}
	}

	p := People{Now: now, Presence: map[string]Presence{"USOFIA": away("UBEN"), "URAVI": away("USOFIA"), "UMAYA": away("UBEN"), "UOLD": back}}
	if got := p.StandsInFor("UBEN"); !slices.Equal(got, []string{"UMAYA", "URAVI", "USOFIA"}) {
		t.Errorf("StandsInFor(UBEN) = %v (chains included, expired windows not)", got)
	}
	if got := p.StandsInFor("USOFIA"); len(got) != 0 {
		t.Errorf("StandsInFor(USOFIA) = %v: she is away, her delegate acts", got)
	}
	if !p.DelegationLoop("UBEN", "USOFIA") {
		t.Error("UBEN delegating to USOFIA (who delegates to UBEN) is a loop")
	}
	if p.DelegationLoop("UBEN", "UCLEO") || p.DelegationLoop("USOFIA", "URAVI") == false {
		t.Error("DelegationLoop misjudged a chain")
	}
}

func TestIsUserID(t *testing.T) {
	for s, want := range map[string]bool{
		"U0123ABC": true, "W0ENTERPRISE": true, "U0ALICE01": true,
		"C0SALES": false, "S0GROUP": false, "<!channel>": false, "": false, "U": false,
		"u0123abc": false, "U01 23": false, "<@U0123>": false, "alice@example.com": false,
	} {
		if got := IsUserID(s); got != want {
			t.Errorf("IsUserID(%q) = %v, want %v", s, got, want)
		}
	}
}
