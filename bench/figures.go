package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// figure is one measured number with its goal. Higher is better when
// higherBetter, else lower; ratio is measured/goal (or goal/measured when
// lower is better), so a ratio >= 1 always means the goal is met.
type figure struct {
	Section string  `json:"section"`
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Goal    float64 `json:"goal"`
	// GoalText describes the goal when it is not a plain number ("0").
	GoalText     string  `json:"goal_text,omitempty"`
	HigherBetter bool    `json:"higher_better"`
	Ratio        float64 `json:"ratio"`
	OK           bool    `json:"ok"`
}

// figures collects what a run measured, in order.
type figures struct{ list []figure }

// add records a figure against its goal.
func (f *figures) add(section, name string, value float64, unit string, goal float64, higherBetter bool) {
	fg := figure{Section: section, Name: name, Value: value, Unit: unit, Goal: goal, HigherBetter: higherBetter}
	switch {
	case higherBetter && goal > 0:
		fg.Ratio = value / goal
	case !higherBetter && value > 0:
		fg.Ratio = goal / value
	case !higherBetter: // a zero measured against a ceiling
		fg.Ratio = 1
	}
	if higherBetter {
		fg.OK = value >= goal
	} else {
		fg.OK = value <= goal
	}
	f.list = append(f.list, fg)
}

// exact records a count whose goal is exactly zero (lost, duplicated…).
func (f *figures) zero(section, name string, value int) {
	f.list = append(f.list, figure{Section: section, Name: name, Value: float64(value), Unit: "", Goal: 0, GoalText: "0",
		Ratio: map[bool]float64{true: 1, false: 0}[value == 0], OK: value == 0})
}

// info records a figure with no goal, for context.
func (f *figures) info(section, name string, value float64, unit string) {
	f.list = append(f.list, figure{Section: section, Name: name, Value: value, Unit: unit, GoalText: "-", Ratio: 0, OK: true})
}

func (f *figures) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "section\tfigure\tmeasured\tgoal\tratio\t")
	for _, g := range f.list {
		goal := g.GoalText
		if goal == "" {
			op := "≤"
			if g.HigherBetter {
				op = "≥"
			}
			goal = fmt.Sprintf("%s %s", op, num(g.Goal, g.Unit))
		}
		ratio := "-"
		if g.GoalText != "-" {
			ratio = fmt.Sprintf("%.2f×", g.Ratio)
			if !g.OK {
				ratio += " MISSED"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", g.Section, g.Name, num(g.Value, g.Unit), goal, ratio)
	}
	tw.Flush()
}

func num(v float64, unit string) string {
	var s string
	switch {
	case v == float64(int64(v)) && v < 1e15:
		s = count(int(v))
	case v >= 100:
		s = fmt.Sprintf("%.0f", v)
	case v >= 10:
		s = fmt.Sprintf("%.1f", v)
	default:
		s = fmt.Sprintf("%.2f", v)
	}
	if unit != "" {
		s += " " + unit
	}
	return s
}

func (f *figures) json(w io.Writer, extra map[string]any) error {
	out := map[string]any{"figures": f.list}
	for k, v := range extra {
		out[k] = v
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
