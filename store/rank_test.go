package store

import (
	"strings"
	"testing"
)

// Both stores bound a search by SearchWords: a pasted paragraph reads its
// first words only, and each word a share of the scan budget.
func TestSearchWordsBounds(t *testing.T) {
	tests := []struct {
		query      string
		words, per int
	}{
		{"", 0, 0},
		{"stripe", 1, maxWordScan},
		{"stripe billing", 2, maxWordScan},
		{"stripe billing refund", 3, maxSearchScan / 3},
		{strings.Repeat("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu ", 50), maxQueryWords, maxSearchScan / maxQueryWords},
	}
	for _, tt := range tests {
		words, per := SearchWords(tt.query)
		if len(words) != tt.words || per != tt.per {
			t.Errorf("SearchWords(%.30q) = %d words, %d per word; want %d, %d", tt.query, len(words), per, tt.words, tt.per)
		}
		if len(words)*per > maxSearchScan {
			t.Errorf("SearchWords(%.30q) reads %d keys, more than %d", tt.query, len(words)*per, maxSearchScan)
		}
	}
}
