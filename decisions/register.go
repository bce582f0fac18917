package decisions

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/baton-app/baton/internal/slacktext"
)

// The decision register: changes to a decision that are not part of its
// lifecycle (Apply) — editing, commenting, declining it as "not mine", and
// review dates. Each function returns the decision after the change, with
// one history event appended, or an *InputError (wrapping ErrClosed when
// the status rules the change out) or a *PermissionError; the input is not
// modified.

// History event kinds of the register.
const (
	EventEdited    EventKind = "edited"
	EventCommented EventKind = "commented"
	// EventDeclined is a decider saying the decision is not theirs; its
	// Users are the new deciders and its Note says who declined and why.
	EventDeclined EventKind = "declined"
	// EventReviewSet records a review date (Note: the date).
	EventReviewSet EventKind = "review_set"
	// EventReviewed is a review on its date: Note "kept", or "revisited as D-9".
	EventReviewed EventKind = "reviewed"
	// EventReviewAsked marks that Baton sent the review DMs for the current
	// review date (Users: who was asked), so they go out once.
	EventReviewAsked EventKind = "review_asked"
)

// Register verbs, for errors and metrics.
const (
	VerbEdit    Verb = "edit"
	VerbComment Verb = "comment"
	VerbDecline Verb = "decline"
	VerbReview  Verb = "review"
)

// MaxComment is the longest comment kept, in runes.
const MaxComment = 3000

// Edit is a rewrite of an open decision by its proposer (or an admin).
// Empty fields are left as they are.
type Edit struct {
	Title   string
	Details string
	Due     time.Time
	// Route, when set, is where the edited text routes now (a changed
	// #tag): the decision moves there.
	Route *Route
}

// ApplyEdit rewrites d. The history keeps the old and the new values.
func ApplyEdit(d Decision, e Edit, a Actor, now time.Time) (Decision, error) {
	if d.Status.Closed() {
		return d, closedError(d, "edited")
	}
	if !a.Admin && a.User != d.Proposer {
		return d, &PermissionError{Verb: VerbEdit, User: a.User, Allowed: []string{d.Proposer}, Role: "the proposer"}
	}
	out := clone(d)
	var changes []string
	if t := strings.TrimSpace(e.Title); t != "" && t != d.Title {
		changes = append(changes, "title “"+d.Title+"” → “"+t+"”")
		out.Title = t
	}
	if t := strings.TrimSpace(e.Details); t != "" && t != d.Details {
		changes = append(changes, "details rewritten")
		out.Details = t
	}
	if !e.Due.IsZero() && !e.Due.Equal(d.Due) {
		if !e.Due.After(now) {
			return d, inputError("the new due date is in the past")
		}
		old := "none"
		if !d.Due.IsZero() {
			old = d.Due.Format("2006-01-02")
		}
		changes = append(changes, "due "+old+" → "+e.Due.Format("2006-01-02"))
		out.Due = e.Due
		out.NextCheck = time.Time{} // the scheduler looks again
	}
	ev := Event{At: now, Actor: a.User, Kind: EventEdited}
	if r := e.Route; r != nil && r.Domain != "" && (r.Domain != d.Domain || !slices.Equal(r.Deciders, d.Deciders)) {
		if len(r.Deciders) == 0 {
			return d, inputError("nobody can decide " + r.Domain + " right now, so the decision stays where it is")
		}
		changes = append(changes, "moved from "+d.Domain+" to "+r.Domain+" ("+r.Reason+")")
		out.Misroutes = append(out.Misroutes, Misroute{At: now, By: a.User, From: d.Domain, FromReason: d.Reason, To: r.Domain, Why: "edited"})
		moveTo(&out, *r)
		ev.Users = slices.Clone(r.Deciders)
	}
	if len(changes) == 0 {
		return d, inputError("that is what " + d.ID.String() + " already says: nothing to change")
	}
	// Votes were cast on the old text: they lapse, and a consent proposal
	// gets a fresh period (see consentIndex) for objections to the new one.
	out.Votes = nil
	ev.Note = strings.Join(changes, "; ")
	out.UpdatedAt = now
	out.History = append(out.History, ev)
	return out, nil
}

// Comment records a comment from anyone, on a decision in any status.
func Comment(d Decision, a Actor, text string, now time.Time) (Decision, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return d, inputError("a comment needs some text")
	}
	if r := []rune(text); len(r) > MaxComment {
		text = string(r[:MaxComment-1]) + "…"
	}
	out := clone(d)
	out.UpdatedAt = now
	out.History = append(out.History, Event{At: now, Actor: a.User, Kind: EventCommented, Note: text})
	return out, nil
}

// Decline is a decider saying d is not theirs: it moves to r (the named
// domain or person, else one level up), with a reason that says who
// declined and why. The reassignment resets reminders.
func Decline(d Decision, a Actor, r Route, reason string, now time.Time) (Decision, error) {
	if d.Status.Closed() {
		return d, closedError(d, "declined")
	}
	// Like reassign: a delegate acts for an away owner but may not hand
	// her decision elsewhere.
	if err := holders(d, Action{Verb: VerbDecline, Actor: a}); err != nil {
		return d, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return d, inputError("say why it is not yours, so the next people know")
	}
	if len(r.Deciders) == 0 {
		return d, inputError("there is nobody to hand it to: name a #domain or a person")
	}
	if r.Domain == d.Domain && slices.Equal(r.Deciders, d.Deciders) {
		return d, inputError("that is where it already is: name another #domain or person")
	}
	out := clone(d)
	from := d.Domain
	out.Misroutes = append(out.Misroutes, Misroute{At: now, By: a.User, From: d.Domain, FromReason: d.Reason, To: r.Domain, Why: reason, Declined: true})
	moveTo(&out, r)
	out.Reason = "declined by <@" + a.User + "> in " + from + ": " + reason + "; " + r.Reason
	out.UpdatedAt = now
	out.History = append(out.History, Event{At: now, Actor: a.User, Kind: EventDeclined, Note: reason, Users: slices.Clone(r.Deciders)})
	return out, nil
}

// SetReview sets the date d's outcome is looked at again. The deciders,
// the proposer or an admin may set it, on any decision not withdrawn.
func SetReview(d Decision, a Actor, on time.Time, now time.Time) (Decision, error) {
	if d.Status == StatusWithdrawn {
		return d, closedError(d, "reviewed")
	}
	if !mayDecide(d, a) && a.User != d.Proposer {
		return d, &PermissionError{Verb: VerbReview, User: a.User, Allowed: append(slices.Clone(d.Deciders), d.Proposer), Role: "the deciders or the proposer"}
	}
	if on.IsZero() || !on.After(now) {
		return d, inputError("a review date must be in the future")
	}
	out := clone(d)
	out.ReviewOn = on
	out.UpdatedAt = now
	out.History = append(out.History, Event{At: now, Actor: a.User, Kind: EventReviewSet, Note: on.Format("2006-01-02")})
	return out, nil
}

// Review records the review of d's outcome on its date: kept as it is, or
// revisited by the decision revisitedBy. Either clears the review date.
func Review(d Decision, a Actor, revisitedBy ID, now time.Time) (Decision, error) {
	if d.ReviewOn.IsZero() {
		return d, inputError(d.ID.String() + " has no review pending")
	}
	if !mayDecide(d, a) && a.User != d.Proposer {
		return d, &PermissionError{Verb: VerbReview, User: a.User, Allowed: append(slices.Clone(d.Deciders), d.Proposer), Role: "the deciders or the proposer"}
	}
	out := clone(d)
	out.ReviewOn = time.Time{}
	note := "kept"
	if revisitedBy != 0 {
		note = "revisited as " + revisitedBy.String()
	}
	out.UpdatedAt = now
	out.History = append(out.History, Event{At: now, Actor: a.User, Kind: EventReviewed, Note: note})
	return out, nil
}

// ReviewDue reports whether d's review date has come at now.
func (d *Decision) ReviewDue(now time.Time) bool {
	return !d.ReviewOn.IsZero() && !now.Before(d.ReviewOn)
}

// Comments are the comments in d's history, oldest first.
func (d *Decision) Comments() []Event {
	var out []Event
	for _, e := range d.History {
		if e.Kind == EventCommented {
			out = append(out, e)
		}
	}
	return out
}

// closedError refuses a change to a decision whose status rules it out.
// It wraps ErrClosed.
func closedError(d Decision, pastTense string) error {
	return &InputError{Msg: d.ID.String() + " is already " + string(d.Status) + ", so it can no longer be " + pastTense, Err: ErrClosed}
}

// moveTo hands d to a new route: its owners and rule, and the level it
// climbed to if none of them can act. Votes cast in the old place lapse.
func moveTo(d *Decision, r Route) {
	d.Domain = r.Domain
	d.Deciders = slices.Clone(r.Deciders)
	d.Owners = slices.Clone(r.Owners)
	d.Escalations = r.Escalations
	d.Rule = r.Rule
	d.Votes = nil
	d.Advisors = slices.Clone(r.Advisors)
	d.Informed = slices.Clone(r.Informed)
	d.Reason = r.Reason
	d.Reminders = 0
	d.LastRemindedAt = time.Time{}
	d.NextCheck = time.Time{}
}

func clone(d Decision) Decision {
	out := d
	out.Deciders = slices.Clone(d.Deciders)
	out.Owners = slices.Clone(d.Owners)
	out.Votes = slices.Clone(d.Votes)
	out.Advisors = slices.Clone(d.Advisors)
	out.Informed = slices.Clone(d.Informed)
	out.History = slices.Clone(d.History)
	out.Advice = slices.Clone(d.Advice)
	out.Misroutes = slices.Clone(d.Misroutes)
	return out
}

// Search words: what the register's full-text index holds for a decision,
// and what a query is read as. Both go through searchWord, so "Laptops"
// finds "laptop".

// MaxSearchWords caps the distinct words indexed per decision, so one
// enormous comment cannot bloat the index.
const MaxSearchWords = 400

// SearchWords are the distinct words of d's title, details, rationale,
// advice and comments, as the search index holds them. Title words come
// first.
func SearchWords(d *Decision) []string {
	seen := map[string]bool{}
	var out []string
	add := func(text string) {
		for _, w := range searchWords(text) {
			if len(out) == MaxSearchWords {
				return
			}
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	add(d.Title)
	add(d.Details)
	add(d.Rationale)
	for _, a := range d.Advice {
		add(a.Text)
	}
	for _, e := range d.History {
		if e.Kind == EventCommented {
			add(e.Note)
		}
	}
	return out
}

// QueryWords are the words of a search query, as SearchWords stores them.
func QueryWords(q string) []string {
	var out []string
	for _, w := range searchWords(q) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// SearchScore ranks d for the query words: each word found in the title
// counts three, elsewhere one.
func SearchScore(d *Decision, words []string) int {
	title := searchWords(d.Title)
	rest := SearchWords(d)
	score := 0
	for _, w := range words {
		switch {
		case slices.Contains(title, w):
			score += 3
		case slices.Contains(rest, w):
			score++
		}
	}
	return score
}

func searchWords(text string) []string {
	text = slacktext.StripControls(text)
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		if w, ok := searchWord(f); ok {
			out = append(out, w)
		}
	}
	return out
}

// stopWords are too common to be worth an index entry.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "by": true, "for": true,
	"from": true, "in": true, "is": true, "it": true, "of": true, "on": true, "or": true, "our": true, "that": true,
	"the": true, "this": true, "to": true, "we": true, "with": true, "will": true, "should": true, "do": true,
}

// searchWord normalises one word: lowercase, at most 32 runes, a plural
// "s" dropped. Stop words and single letters are not words.
func searchWord(f string) (string, bool) {
	w := strings.ToLower(f)
	if r := []rune(w); len(r) > 32 {
		w = string(r[:32])
	}
	if len([]rune(w)) < 2 || stopWords[w] {
		return "", false
	}
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		w = w[:len(w)-1]
	}
	return w, true
}

// AdviceOwed lists who still owes advice on d: its advisors and the people
// asked for advice, who are neither deciders nor the proposer and have not
// advised since. Only user ids count (usergroups cannot owe anything).
// Closed decisions owe nothing.
func AdviceOwed(d *Decision) []string {
	if d.Status.Closed() {
		return nil
	}
	var out []string
	add := func(u string) {
		if (strings.HasPrefix(u, "U") || strings.HasPrefix(u, "W")) && !slices.Contains(out, u) &&
			!d.IsDecider(u) && u != d.Proposer {
			out = append(out, u)
		}
	}
	for _, u := range d.Advisors {
		add(u)
	}
	for _, e := range d.History {
		if e.Kind == EventAdviceRequested {
			for _, u := range e.Users {
				add(u)
			}
		}
	}
	return slices.DeleteFunc(out, func(u string) bool {
		return slices.ContainsFunc(d.Advice, func(a Advice) bool { return a.By == u })
	})
}
