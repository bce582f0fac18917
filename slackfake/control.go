package slackfake

// What a test does to the fake: seed users, groups and messages, read what
// was posted, and make the next calls fail.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// AddUser adds or replaces a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// AddUsergroup adds or replaces a usergroup (S…) and its members.
func (s *Server) AddUsergroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usergroups[id] = slices.Clone(members)
}

// AddMessage seeds a message a person wrote, so conversations.replies can
// return it (for example the parent of a thread the bot is mentioned in).
func (s *Server) AddMessage(channel, ts, user, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findMessage(channel, ts); m != nil {
		m.user, m.text, m.botID, m.blocks = user, text, "", nil
		return
	}
	s.messages = append(s.messages, &message{channel: channel, ts: ts, user: user, text: text})
}

// ResponseURL returns a URL on this fake that takes Slack response_url POSTs
// and records them as Posts with Method "response_url". The URL points at
// the listener if Start was called, else at http://slack.fake (reachable
// through Client only).
func (s *Server) ResponseURL(id string) string {
	return s.baseURL() + "/response_url/" + url.PathEscape(id)
}

// ResponseURLFor returns a fresh response URL for a command a user ran in a
// channel; replies to it are recorded with that Channel and User.
func (s *Server) ResponseURLFor(channel, user string) string {
	s.mu.Lock()
	s.nextRespURL++
	id := fmt.Sprintf("R%04d", s.nextRespURL)
	s.responseURLs[id] = responseURL{channel: channel, user: user}
	base := s.baseURLLocked()
	s.mu.Unlock()
	return base + "/response_url/" + id
}

// Posts returns everything the bot posted, in order.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts)
}

// Rejections returns the calls the fake refused with "ok": false, in order,
// except those FailNextError asked for.
func (s *Server) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rejections)
}

// Wait blocks until at least n posts exist and returns all of them. When ctx
// ends first it returns the posts so far and an error saying how many there were.
func (s *Server) Wait(ctx context.Context, n int) ([]Post, error) {
	for {
		s.mu.Lock()
		posts, changed := s.posts, s.changed
		s.mu.Unlock()
		if len(posts) >= n {
			return slices.Clone(posts), nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return slices.Clone(posts), fmt.Errorf("slackfake: waiting for %d posts, have %d: %w", n, len(posts), ctx.Err())
		}
	}
}

// OnPost registers f to be called with every later post. Calls happen on the
// goroutine serving the request, before the response is written, one at a
// time and in the order of Posts, with no lock of the fake held; f may read
// the fake but must not call the Web API (that would wait for f itself).
func (s *Server) OnPost(f func(Post)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onPost = append(s.onPost, f)
}

// FailNext makes the next n calls to method (a Web API method, or
// "response_url") fail with HTTP status. A 429 carries Retry-After in whole
// seconds (rounded up), which slack-go turns into *slack.RateLimitedError;
// other statuses carry it only when retryAfter > 0.
func (s *Server) FailNext(method string, status int, retryAfter time.Duration, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], failure{status: status, retryAfter: retryAfter})
	}
}

// FailNextError makes the next n calls to method answer HTTP 200 with
// {"ok":false,"error":slackError}, such as "channel_not_found" or "internal_error".
func (s *Server) FailNextError(method, slackError string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], failure{slackError: slackError})
	}
}

// LoseNextAnswer makes the next n calls to method take effect (a message
// is posted) but answer HTTP status instead of the result, as when Slack
// posts a message and the connection drops before the answer arrives.
func (s *Server) LoseNextAnswer(method string, status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.lost[method] = append(s.lost[method], failure{status: status})
	}
}

// LoseNextAnswerError makes the next n calls to method take effect but
// answer {"ok":false,"error":slackError}, as Slack does with internal_error
// when part of the operation completed.
func (s *Server) LoseNextAnswerError(method, slackError string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.lost[method] = append(s.lost[method], failure{slackError: slackError})
	}
}

// NotAMember makes the bot an outsider of a public channel: it may still
// post there (chat:write.public), but conversations.history and
// conversations.replies answer not_in_channel until conversations.join.
func (s *Server) NotAMember(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outside[channel] = true
}

// SetDown makes every Web API call answer HTTP 503 (an outage) until
// SetDown(false). Calls made while down are counted by Calls.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Calls reports how many requests reached method, failed ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}
