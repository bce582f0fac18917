package blocks

import (
	"strconv"
	"strings"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/slacktext"
	"github.com/slack-go/slack"
)

// verbLabels gives each verb its modal title prefix and submit label.
var verbLabels = map[decisions.Verb][2]string{
	decisions.VerbApprove:   {"Approve", "Approve"},
	decisions.VerbReject:    {"Reject", "Reject"},
	decisions.VerbDefer:     {"Defer", "Defer"},
	decisions.VerbReassign:  {"Reassign", "Reassign"},
	decisions.VerbAskAdvice: {"Ask for advice on", "Ask"},
	decisions.VerbWithdraw:  {"Withdraw", "Withdraw"},
	decisions.VerbAdvise:    {"Advise on", "Send"},
	decisions.VerbDecline:   {"Not mine:", "Hand it on"},
}

// Ids of the decline ("Not mine") modal's domain input, and of the
// optional review date in the approve and reject modals.
const (
	BlockDomain  = "domain"
	ActionDomain = "domain_input"
	BlockReview  = "review"
	ActionReview = "review_input"
)

// DecideModal is the dialog a decision button opens (callback_id "decide").
// Every verb has the rationale input (block BlockRationale, action
// ActionRationale): optional except for reject and advise. Defer adds a
// date picker (BlockUntil/ActionUntil), reassign a required people picker
// and ask_advice an optional one (BlockUsers/ActionUsers), pre-filled with
// the domain's advisors. privateMetadata is passed through untouched; keep
// it under Slack's 3000 characters.
func DecideModal(d decisions.Decision, verb decisions.Verb, privateMetadata string) slack.ModalViewRequest {
	labels, ok := verbLabels[verb]
	if !ok {
		w := string(verb)
		if w != "" {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		labels = [2]string{w, w}
	}
	titleText := labels[0] + " " + d.ID.String()

	var inputs []slack.Block
	rationaleLabel, rationaleOptional, placeholder := "Rationale", true, "Why? Others will read this with the outcome."
	switch verb {
	case decisions.VerbApprove:
		rationaleLabel = "Rationale (optional)"
	case decisions.VerbReject:
		rationaleOptional = false
		placeholder = "Why not? The proposer will read this."
	case decisions.VerbDefer:
		picker := slack.NewDatePickerBlockElement(ActionUntil)
		picker.Placeholder = plainText("Pick a date")
		inputs = append(inputs, slack.NewInputBlock(BlockUntil, plainText("Defer until"),
			plainText("The decision reopens on this date."), picker))
		rationaleLabel = "Rationale (optional)"
	case decisions.VerbReassign:
		users := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, plainText("Choose people"), ActionUsers)
		inputs = append(inputs, slack.NewInputBlock(BlockUsers, plainText("Hand the decision to"), nil, users))
		rationaleLabel, placeholder = "Note (optional)", "Why them?"
	case decisions.VerbAskAdvice:
		users := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, plainText("Choose advisors"), ActionUsers)
		var initial []string
		for _, a := range d.Advisors {
			if slacktext.IsUserID(a) {
				initial = append(initial, a)
			}
		}
		if len(initial) > 0 {
			users.WithInitialUsers(initial...)
		}
		in := slack.NewInputBlock(BlockUsers, plainText("Ask"), plainText("Leave empty to ask the domain's advisors."), users)
		inputs = append(inputs, in.WithOptional(true))
		rationaleLabel, placeholder = "Note to advisors (optional)", "What would you like advice on?"
	case decisions.VerbWithdraw:
		rationaleLabel = "Reason (optional)"
	case decisions.VerbAdvise:
		rationaleLabel, rationaleOptional, placeholder = "Your advice", false, "What should the deciders consider?"
	case decisions.VerbDecline:
		rationaleLabel, rationaleOptional, placeholder = "Why is it not yours?", false, "The next deciders and the proposer will read this."
	}
	text := slack.NewPlainTextInputBlockElement(plainText(Truncate(placeholder, MaxPlaceholder)), ActionRationale).
		WithMultiline(true).WithMaxLength(MaxRationale)
	rat := slack.NewInputBlock(BlockRationale, plainText(rationaleLabel), nil, text)
	inputs = append(inputs, rat.WithOptional(rationaleOptional))
	if verb == decisions.VerbApprove || verb == decisions.VerbReject {
		picker := slack.NewDatePickerBlockElement(ActionReview)
		picker.Placeholder = plainText("Pick a date")
		in := slack.NewInputBlock(BlockReview, plainText("Review on (optional)"),
			plainText("On this date the deciders and the proposer are asked whether to keep the outcome or revisit it."), picker)
		inputs = append(inputs, in.WithOptional(true))
	}
	if verb == decisions.VerbDecline {
		dom := slack.NewPlainTextInputBlockElement(plainText("e.g. finance — leave empty for one level up"), ActionDomain).WithMaxLength(100)
		in := slack.NewInputBlock(BlockDomain, plainText("Hand it to the domain"), plainText("Baton routes it there and keeps it as a misroute, so the rights map can learn."), dom)
		inputs = append(inputs, in.WithOptional(true))
	}

	summary := idTitle(d, 500)
	if det := strings.TrimSpace(d.Details); det != "" {
		summary += "\n" + clip(det, detailsShort)
	}
	var bs []slack.Block
	bs = add(bs,
		section(summary),
		contextBlock("Proposed by "+actor(d.Proposer)+" · "+domain(d.Domain)+" · deciders "+Users(d.Deciders, 10)),
	)
	bs = append(bs, inputs...)

	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackDecide,
		Title:           plainText(Truncate(plain(titleText), MaxViewTitle)),
		Submit:          plainText(Truncate(labels[1], MaxViewTitle)),
		Close:           plainText("Cancel"),
		PrivateMetadata: privateMetadata,
		Blocks:          slack.Blocks{BlockSet: fitBlocks(bs, MaxViewBlocks, MaxViewText)},
	}
}

// Home budgets: how many decisions each part of the App Home shows before
// it summarises the rest. Waiting decisions take two blocks each (a line
// and its buttons), so 25 of them use half the tab's 100 blocks.
const (
	homeWaiting  = 25
	homeProposed = 30
	homeRecent   = 20
)

// Home is what the App Home tab shows one person.
type Home struct {
	// Waiting are open decisions the viewer decides; Delegated those they
	// may decide for someone away (with buttons too).
	Waiting, Delegated []decisions.Decision
	// Advice are open decisions the viewer was asked to advise on and has
	// not yet.
	Advice []decisions.Decision
	// Reviews are decisions whose review date has come, for their deciders
	// and proposer.
	Reviews []decisions.Decision
	// Proposed are the viewer's proposals; Recent the recent outcomes in
	// the domains they own (RecentTitle says which, "" for the default).
	Proposed, Recent []decisions.Decision
	RecentTitle      string
	// Slash is the configured slash command ("" means DefaultCommand).
	Slash string
}

// HomeView is the App Home tab with what waits on the viewer, what they
// proposed and recent outcomes: HomeFor with those three parts.
func HomeView(waiting, proposed, recent []decisions.Decision, now time.Time, loc *time.Location) slack.HomeTabViewRequest {
	return HomeFor(Home{Waiting: waiting, Proposed: proposed, Recent: recent}, now, loc)
}

// HomeFor is the App Home tab: decisions waiting on the viewer and those
// they may decide as a delegate (with buttons, block id
// BlockIDDecision+"."+id), advice they owe, reviews due, those they
// proposed, and recent outcomes.
func HomeFor(h Home, now time.Time, loc *time.Location) slack.HomeTabViewRequest {
	slash := h.Slash
	if slash == "" {
		slash = DefaultCommand
	}
	var bs []slack.Block
	withButtons := func(ds []decisions.Decision) {
		for i, d := range ds {
			if i == homeWaiting {
				bs = add(bs, contextBlock("…and "+strconv.Itoa(len(ds)-i)+" more"))
				break
			}
			bs = add(bs, section(listLine(d, now, loc)), buttons(d, BlockIDDecision+"."+d.ID.String()))
		}
	}
	bs = add(bs, header("Waiting on you ("+strconv.Itoa(len(h.Waiting))+")"))
	if len(h.Waiting) == 0 {
		bs = add(bs, section("_Nothing is waiting on you._ :tada:"))
	}
	withButtons(h.Waiting)
	if len(h.Delegated) > 0 {
		bs = add(bs, header("Yours to decide as a delegate ("+strconv.Itoa(len(h.Delegated))+")"))
		withButtons(h.Delegated)
	}
	if len(h.Advice) > 0 {
		bs = add(bs, slack.NewDividerBlock(), header("Advice you owe ("+strconv.Itoa(len(h.Advice))+")"))
		bs = add(bs, homeList(h.Advice, homeProposed, "", func(d decisions.Decision) string {
			return listLine(d, now, loc) + " · `" + Escape(slash+" advise "+d.ID.String()+" …") + "`"
		})...)
	}
	if len(h.Reviews) > 0 {
		bs = add(bs, slack.NewDividerBlock(), header("Reviews due ("+strconv.Itoa(len(h.Reviews))+")"))
		bs = add(bs, homeList(h.Reviews, homeProposed, "", func(d decisions.Decision) string {
			return "• " + idTitle(d, titleList) + " · " + domain(d.Domain) + " · " + outcome(d, loc) + " · review due " + Date(d.ReviewOn, loc)
		})...)
	}

	bs = add(bs, slack.NewDividerBlock(), header("Proposed by you ("+strconv.Itoa(len(h.Proposed))+")"))
	bs = add(bs, homeList(h.Proposed, homeProposed, "_You have no open proposals._", func(d decisions.Decision) string {
		return listLine(d, now, loc)
	})...)

	recentTitle := "Recent outcomes"
	if h.RecentTitle != "" {
		recentTitle = h.RecentTitle
	}
	bs = add(bs, slack.NewDividerBlock(), header(recentTitle))
	bs = add(bs, homeList(h.Recent, homeRecent, "_No recent outcomes._", func(d decisions.Decision) string {
		s := "• " + idTitle(d, titleList) + " · " + domain(d.Domain) + " · " + outcome(d, loc)
		if r := rationale(d, 200); r != "" {
			s += " — " + oneLine(r)
		}
		return s
	})...)

	bs = add(bs, contextBlock("Updated "+stampTime(now, loc)))
	return slack.HomeTabViewRequest{
		Type:   slack.VTHomeTab,
		Blocks: slack.Blocks{BlockSet: fitBlocks(bs, MaxViewBlocks, MaxViewText)},
	}
}

// stampTime is when the App Home was drawn, in the reader's own zone.
func stampTime(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return dateToken(t, "{date_short_pretty} {time}", t.Format("Mon 2 Jan 2006 15:04"))
}

func homeList(ds []decisions.Decision, max int, empty string, line func(decisions.Decision) string) []slack.Block {
	if len(ds) == 0 {
		return add(nil, section(empty))
	}
	shown := ds
	if len(shown) > max {
		shown = shown[:max]
	}
	lines := make([]string, len(shown))
	for i, d := range shown {
		lines[i] = line(d)
	}
	rest := len(ds) - len(shown)
	more := func(n int) string { return "…and " + strconv.Itoa(n+rest) + " more" }
	out := pack(lines, 8, MaxViewText/4, false, more)
	if rest > 0 {
		if _, ok := out[len(out)-1].(*slack.ContextBlock); !ok {
			out = add(out, contextBlock(more(0)))
		}
	}
	return out
}
