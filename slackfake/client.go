package slackfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Client sends what Slack sends to an app: POSTs to its /slack/* endpoints,
// signed with the v0 signing secret. The end-to-end tests (over HTTP) and
// baton shell (in process) both drive Baton through it, so they sign and
// send one way.
type Client struct {
	// Secret is the signing secret.
	Secret string
	// BaseURL, when set, is where the app listens ("http://127.0.0.1:…");
	// requests go over HTTP. Otherwise Handler is called in process.
	BaseURL string
	Handler http.Handler
	// Now is the signing time; nil means time.Now. Slack's 5-minute replay
	// window is checked against the wall clock, not a test's fake one.
	Now func() time.Time
}

// NoSignature, set as a request header, makes Send leave the request
// unsigned (and is not sent): for testing that such requests are refused.
const NoSignature = "X-No-Signature"

// Reply is what the app answered.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// Signature is Slack's v0 signature of body at the Unix timestamp ts.
func Signature(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Send POSTs body to path with contentType, signed now unless header
// already carries an X-Slack-Signature (or NoSignature); header's other
// fields are added (Slack's X-Slack-Retry-Num, for example).
func (c Client) Send(ctx context.Context, path, contentType string, body []byte, header http.Header) (Reply, error) {
	var (
		req *http.Request
		err error
	)
	if c.BaseURL != "" {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
		if err != nil {
			return Reply{}, err
		}
	} else {
		req = httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
	}
	req.Header.Set("Content-Type", contentType)
	if header.Get("X-Slack-Signature") == "" && header.Get(NoSignature) == "" {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		ts := strconv.FormatInt(now().Unix(), 10)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", Signature(c.Secret, ts, body))
	}
	for k, vs := range header {
		if k != NoSignature {
			req.Header[k] = vs
		}
	}
	if c.BaseURL == "" {
		rec := httptest.NewRecorder()
		c.Handler.ServeHTTP(rec, req)
		return Reply{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}, nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}
