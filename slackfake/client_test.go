package slackfake

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// verifying answers 200 to a request slack-go's verifier accepts, 401
// otherwise, and echoes the body and the retry header.
func verifying(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			_, _ = v.Write(body)
			err = v.Ensure()
		}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Retry", r.Header.Get("X-Slack-Retry-Num"))
		_, _ = w.Write(body)
	})
}

func TestClientSignsAsSlackDoes(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	srv := httptest.NewServer(verifying(secret))
	defer srv.Close()
	body := []byte("text=hello")
	for name, c := range map[string]Client{
		"in process": {Secret: secret, Handler: verifying(secret)},
		"over HTTP":  {Secret: secret, BaseURL: srv.URL},
	} {
		r, err := c.Send(context.Background(), "/slack/commands", "application/x-www-form-urlencoded", body, http.Header{"X-Slack-Retry-Num": {"1"}})
		if err != nil || r.Status != http.StatusOK || !bytes.Equal(r.Body, body) || r.Header.Get("X-Retry") != "1" {
			t.Errorf("%s: %d %q %v", name, r.Status, r.Body, err)
		}
		// Unsigned, signed with another secret, or signed too long ago: refused.
		for what, c2 := range map[string]Client{
			"wrong secret": {Secret: "nope", Handler: c.Handler, BaseURL: c.BaseURL},
			"stale":        {Secret: secret, Handler: c.Handler, BaseURL: c.BaseURL, Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }},
		} {
			if r, _ := c2.Send(context.Background(), "/x", "text/plain", body, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("%s/%s: status %d, want 401", name, what, r.Status)
			}
		}
		if r, _ := c.Send(context.Background(), "/x", "text/plain", body, http.Header{NoSignature: {"1"}}); r.Status != http.StatusUnauthorized {
			t.Errorf("%s/unsigned: status %d, want 401", name, r.Status)
		}
	}
}
