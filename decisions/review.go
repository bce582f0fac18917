package decisions

// ReviewAsked reports whether Baton sent the review DMs for d's current
// review date, and to whom. Once asked, a review waits on those people
// (App Home) rather than on the hourly job.
func ReviewAsked(d *Decision) (bool, []string) {
	if d.ReviewOn.IsZero() {
		return false, nil
	}
	for i := len(d.History) - 1; i >= 0; i-- {
		switch d.History[i].Kind {
		case EventReviewAsked:
			return true, d.History[i].Users
		case EventReviewSet, EventReviewed:
			return false, nil
		}
	}
	return false, nil
}
