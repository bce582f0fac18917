package decisions

import (
	"slices"
	"time"
)

// People is who is around at one moment: presence by user id (missing
// means available) read at Now. Delegation is resolved through it when
// someone acts or is reminded, never written into a decision: the
// deciders stay the owners who hold the right, and when an away window
// ends the owner acts again.
type People struct {
	Presence map[string]Presence
	Now      time.Time
}

// maxChain bounds a delegation chain; real ones are one or two long.
const maxChain = 8

// Acting is who acts for user now: user when available, else their
// delegate's acting person, following chains a → b → c. It is "" when
// nobody can: user is deactivated, away with no delegate, or the chain
// loops or ends with someone unavailable.
func (p People) Acting(user string) string {
	seen := make([]string, 0, 2)
	for u := user; u != "" && len(seen) < maxChain; {
		if slices.Contains(seen, u) {
			return "" // a loop: a → b → a
		}
		seen = append(seen, u)
		pr := p.Presence[u]
		switch {
		case pr.Deactivated:
			return ""
		case !pr.Away(p.Now):
			return u
		}
		u = pr.Delegate
	}
	return ""
}

// Chain is user and the delegates after them, a → b → c, whether away or
// not: everyone who may act for user at some time.
func (p People) Chain(user string) []string {
	out := make([]string, 0, 2)
	for u := user; u != "" && len(out) < maxChain && !slices.Contains(out, u); u = p.Presence[u].Delegate {
		out = append(out, u)
	}
	return out
}

// ActingOn is Acting for a decision: a delegate never acts on a proposal
// of their own for someone else (that would be deciding it alone), so
// then nobody does.
func (p People) ActingOn(user, proposer string) string {
	a := p.Acting(user)
	if a != user && a == proposer {
		return ""
	}
	return a
}

// StandsInFor lists the people user currently acts for: those away whose
// delegation chain ends with user. It is empty for someone holding no
// delegation.
func (p People) StandsInFor(user string) []string {
	var out []string
	for u, pr := range p.Presence {
		if u != user && pr.Away(p.Now) && pr.Delegate != "" && p.Acting(u) == user {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// Reachable maps users to the people who act for them now, in order and
// without duplicates, dropping those nobody acts for.
func (p People) Reachable(users []string, proposer string) []string {
	out := make([]string, 0, len(users))
	for _, u := range users {
		if a := p.ActingOn(u, proposer); a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// DelegationLoop reports whether making delegate act for user would close
// a loop (delegate is away and their chain already leads back to user).
func (p People) DelegationLoop(user, delegate string) bool {
	seen := []string{}
	for u := delegate; u != "" && len(seen) < maxChain; u = p.Presence[u].Delegate {
		if u == user {
			return true
		}
		if slices.Contains(seen, u) || !p.Presence[u].Away(p.Now) {
			return false
		}
		seen = append(seen, u)
	}
	return false
}

// IsUserID reports whether s is a Slack user id: U or W, then upper-case
// letters and digits. Channels, usergroups, emails and markup are not.
func IsUserID(s string) bool {
	if len(s) < 3 || len(s) > 32 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
