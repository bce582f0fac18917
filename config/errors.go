package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a config file, located by line and field path.
type Error struct {
	File  string
	Line  int    // 1-based; 0 when the problem is not tied to a line
	Field string // dotted path such as "domains[3].owners[0]"; empty for the file as a whole
	Msg   string
}

// Error renders the problem as "file:line: field: msg".
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a config file, sorted by line.
type Errors []Error

// Error renders one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
}

// As lets errors.As fill a plain Errors target as well as a *Errors one,
// since Load and Parse return a *Errors.
func (es *Errors) As(target any) bool {
	if t, ok := target.(*Errors); ok {
		*t = *es
		return true
	}
	return false
}
