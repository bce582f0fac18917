package decisions

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func registerFixture() Decision {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	return Decision{
		ID: 7, Title: "Raise the team plan price", Proposer: "UTOM", Domain: "product/pricing",
		Deciders: []string{"USOFIA"}, Status: StatusOpen, CreatedAt: t0, Reminders: 2,
		History: []Event{{At: t0, Actor: "UTOM", Kind: EventProposed}},
	}
}

func TestRegisterRefusals(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	open := registerFixture()
	closed := registerFixture()
	closed.Status = StatusApproved
	withdrawn := registerFixture()
	withdrawn.Status = StatusWithdrawn
	away := Route{Domain: "product", Deciders: []string{"URAVI"}, Reason: "one level up"}
	var pe *PermissionError
	var ie *InputError
	tests := []struct {
		name string
		do   func() (Decision, error)
		want any
	}{
		{"edit by a decider", func() (Decision, error) {
			return ApplyEdit(open, Edit{Title: "x"}, Actor{User: "USOFIA"}, now)
		}, &pe},
		{"edit a closed decision", func() (Decision, error) {
			return ApplyEdit(closed, Edit{Title: "x"}, Actor{User: "UTOM"}, now)
		}, &ie},
		{"edit to the same text", func() (Decision, error) {
			return ApplyEdit(open, Edit{Title: open.Title}, Actor{User: "UTOM"}, now)
		}, &ie},
		{"edit due into the past", func() (Decision, error) {
			return ApplyEdit(open, Edit{Due: now.Add(-time.Hour)}, Actor{User: "UTOM"}, now)
		}, &ie},
		{"edit to a domain nobody can decide", func() (Decision, error) {
			return ApplyEdit(open, Edit{Route: &Route{Domain: "hr"}}, Actor{User: "UTOM"}, now)
		}, &ie},
		{"empty comment", func() (Decision, error) { return Comment(open, Actor{User: "UX"}, "  ", now) }, &ie},
		{"decline by the proposer", func() (Decision, error) { return Decline(open, Actor{User: "UTOM"}, away, "not mine", now) }, &pe},
		{"decline without a reason", func() (Decision, error) { return Decline(open, Actor{User: "USOFIA"}, away, " ", now) }, &ie},
		{"decline to nobody", func() (Decision, error) {
			return Decline(open, Actor{User: "USOFIA"}, Route{Domain: "product"}, "no", now)
		}, &ie},
		{"decline to where it is", func() (Decision, error) {
			return Decline(open, Actor{User: "USOFIA"}, Route{Domain: open.Domain, Deciders: open.Deciders}, "no", now)
		}, &ie},
		{"decline a closed decision", func() (Decision, error) { return Decline(closed, Actor{User: "USOFIA"}, away, "no", now) }, &ie},
		{"review by a bystander", func() (Decision, error) { return SetReview(closed, Actor{User: "UX"}, now.AddDate(0, 6, 0), now) }, &pe},
		{"review in the past", func() (Decision, error) { return SetReview(closed, Actor{User: "USOFIA"}, now.Add(-time.Hour), now) }, &ie},
		{"review a withdrawn decision", func() (Decision, error) {
			return SetReview(withdrawn, Actor{User: "UTOM"}, now.AddDate(0, 6, 0), now)
		}, &ie},
		{"keep without a review", func() (Decision, error) { return Review(closed, Actor{User: "USOFIA"}, 0, now) }, &ie},
	}
	for _, tt := range tests {
		got, err := tt.do()
		if err == nil || !errors.As(err, tt.want) {
			t.Errorf("%s: err = %v (%T), want %T", tt.name, err, err, tt.want)
		}
		if closed := strings.Contains(tt.name, "closed") || strings.Contains(tt.name, "withdrawn"); closed != errors.Is(err, ErrClosed) {
			t.Errorf("%s: errors.Is(err, ErrClosed) = %v, want %v", tt.name, !closed, closed)
		}
		if len(got.History) != 1 {
			t.Errorf("%s: history grew on a refusal", tt.name)
		}
	}
}

func TestRegisterChanges(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	d := registerFixture()

	e, err := ApplyEdit(d, Edit{Title: "Raise the team plan price by 10%", Due: now.AddDate(0, 0, 7),
		Route: &Route{Domain: "finance", Deciders: []string{"UFATIMA"}, Reason: "#finance tag matched domain finance"}}, Actor{User: "UTOM"}, now)
	if err != nil {
		t.Fatal(err)
	}
	last := e.History[len(e.History)-1]
	if e.Title != "Raise the team plan price by 10%" || e.Domain != "finance" || e.Deciders[0] != "UFATIMA" || e.Reminders != 0 ||
		last.Kind != EventEdited || !strings.Contains(last.Note, "“Raise the team plan price” → “Raise the team plan price by 10%”") ||
		!strings.Contains(last.Note, "moved from product/pricing to finance (#finance tag matched") || d.Title != "Raise the team plan price" {
		t.Errorf("edit = %+v, note %q", e, last.Note)
	}

	c, err := Comment(d, Actor{User: "UBEN"}, " ask sales first ", now)
	if err != nil || len(c.Comments()) != 1 || c.Comments()[0].Note != "ask sales first" || len(d.Comments()) != 0 {
		t.Errorf("comment = %v, %v", c.Comments(), err)
	}

	dl, err := Decline(d, Actor{User: "USOFIA"}, Route{Domain: "finance", Deciders: []string{"UFATIMA"}, Reason: "named by the decider"}, "billing, not pricing", now)
	if err != nil {
		t.Fatal(err)
	}
	if dl.Domain != "finance" || !strings.Contains(dl.Reason, "declined by <@USOFIA> in product/pricing: billing, not pricing") ||
		dl.History[len(dl.History)-1].Kind != EventDeclined || dl.HasActed("USOFIA") {
		t.Errorf("decline = %+v", dl)
	}

	closed := d
	closed.Status = StatusApproved
	r, err := SetReview(closed, Actor{User: "UTOM"}, now.AddDate(0, 6, 0), now)
	if err != nil || !r.ReviewOn.Equal(now.AddDate(0, 6, 0)) || r.ReviewDue(now) || !r.ReviewDue(now.AddDate(0, 6, 0)) {
		t.Fatalf("review = %v, %v", r.ReviewOn, err)
	}
	k, err := Review(r, Actor{User: "USOFIA"}, 9, now.AddDate(0, 6, 0))
	if err != nil || !k.ReviewOn.IsZero() || k.History[len(k.History)-1].Note != "revisited as D-9" {
		t.Errorf("revisit = %+v, %v", k, err)
	}
}
