package store

import (
	"cmp"
	"slices"
	"time"

	"github.com/baton-app/baton/decisions"
)

// Both stores answer Search and ReviewsBetween with these, so that they
// read the same bounded amount and rank and order alike.

// Search reads at most maxQueryWords words of a query and maxSearchScan
// index keys in all, so a long or common query costs a bounded read: each
// word gets an equal share of the keys, at most maxWordScan, newest
// decisions first.
const (
	maxQueryWords = 8
	maxSearchScan = 50000
	maxWordScan   = 20000
)

// SearchWords is the words of query a search reads, and how many index
// keys it reads for each.
func SearchWords(query string) (words []string, perWord int) {
	words = decisions.QueryWords(query)
	if len(words) == 0 {
		return nil, 0
	}
	if len(words) > maxQueryWords {
		words = words[:maxQueryWords]
	}
	return words, min(maxWordScan, maxSearchScan/len(words))
}

// RankHits orders the decisions by how many query words each holds, then
// newest first, and keeps a few times limit of them: those are read, to
// rank by where the words are (RankFound).
func RankHits(hits map[decisions.ID]int, limit int) []decisions.ID {
	ids := make([]decisions.ID, 0, len(hits))
	for id := range hits {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b decisions.ID) int {
		return cmp.Or(cmp.Compare(hits[b], hits[a]), cmp.Compare(b, a))
	})
	if max := limit * 4; len(ids) > max {
		ids = ids[:max]
	}
	return ids
}

// RankFound orders the decisions read for a search: most words first, then
// title matches (decisions.SearchScore), then newest; at most limit.
func RankFound(ds []decisions.Decision, hits map[decisions.ID]int, words []string, limit int) []decisions.Decision {
	score := make(map[decisions.ID]int, len(ds))
	for i := range ds {
		score[ds[i].ID] = decisions.SearchScore(&ds[i], words)
	}
	ds = slices.Clone(ds)
	slices.SortFunc(ds, func(a, b decisions.Decision) int {
		return cmp.Or(cmp.Compare(hits[b.ID], hits[a.ID]), cmp.Compare(score[b.ID], score[a.ID]), cmp.Compare(b.ID, a.ID))
	})
	if len(ds) > limit {
		ds = ds[:limit]
	}
	return ds
}

// MaxOwedRead bounds how many reviews asked and not answered
// ReviewsBetween reads, for the digest.
const MaxOwedRead = 500

// ReviewsInWindow is ReviewsBetween's answer from what a store read (the
// reviews dated in the window, and those owed): each decision once, dated
// in [from, to), in date order.
func ReviewsInWindow(ds []decisions.Decision, from, to time.Time) []decisions.Decision {
	seen := make(map[decisions.ID]bool, len(ds))
	out := ds[:0:0]
	for _, d := range ds {
		if !seen[d.ID] && !d.ReviewOn.Before(from) && d.ReviewOn.Before(to) {
			seen[d.ID] = true
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b decisions.Decision) int {
		return cmp.Or(a.ReviewOn.Compare(b.ReviewOn), cmp.Compare(a.ID, b.ID))
	})
	return out
}
