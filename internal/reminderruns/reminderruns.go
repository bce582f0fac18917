// Package reminderruns says when Baton's reminders job runs. It is shared
// by the scheduler (bot) and the policy's randomized tests (decisions),
// which simulate the same runs.
package reminderruns

import "github.com/robfig/cron/v3"

// Schedule is the reminders job's own schedule for reminders.schedule s:
// every hour at the minutes of s and a quarter, half and three quarters
// past them, so each person's hour is met on time in zones a whole hour
// apart and in those with half- and quarter-hour offsets (India, Nepal,
// Chatham) too. A run reads only the decisions due a look, so the extra
// runs cost little. A schedule that is not a plain cron line (@every 30m)
// is used as it is.
func Schedule(s cron.Schedule) cron.Schedule {
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return s
	}
	const star = 1 << 63 // cron's "*" bit: day-of-month and day-of-week both unrestricted
	all := func(lo, hi uint) uint64 {
		var b uint64
		for i := lo; i <= hi; i++ {
			b |= 1 << i
		}
		return b | star
	}
	var minutes uint64
	for m := range uint(60) {
		if spec.Minute&(1<<m) != 0 {
			for q := uint(0); q < 60; q += 15 {
				minutes |= 1 << ((m + q) % 60)
			}
		}
	}
	return &cron.SpecSchedule{
		Second: spec.Second, Minute: minutes,
		Hour: all(0, 23), Dom: all(1, 31), Month: all(1, 12), Dow: all(0, 6),
		Location: spec.Location,
	}
}
