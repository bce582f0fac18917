package slackfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// apiError is a Slack error answer: {"ok":false,"error":code}.
type apiError struct {
	code     string
	messages []string
}

func (e *apiError) Error() string { return e.code }

func slackErr(code string, messages ...string) error {
	return &apiError{code: code, messages: messages}
}

func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return &apiError{code: "internal_error", messages: []string{err.Error()}}
}

// request is one Web API call, its parameters decoded whatever the encoding.
type request struct {
	method     string
	token      string
	responseID string
	// params holds form values as strings, or a JSON body's fields decoded
	// with UseNumber; fields keeps a JSON body's fields byte for byte.
	params map[string]any
	fields map[string]json.RawMessage
	posted []pending
}

// parseRequest decodes r. A body it cannot read still yields a request (so
// the call is counted) together with the error to answer.
func parseRequest(r *http.Request, method string) (*request, error) {
	rq := &request{method: method, params: map[string]any{}, fields: map[string]json.RawMessage{}}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		rq.token = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return rq, slackErr("invalid_json", err.Error())
		}
		if len(bytes.TrimSpace(body)) > 0 && !bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
			if err := json.Unmarshal(body, &rq.fields); err != nil {
				return rq, slackErr("invalid_json", err.Error())
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&rq.params); err != nil {
				return rq, slackErr("invalid_json", err.Error())
			}
		}
		for k, vs := range r.URL.Query() {
			if _, ok := rq.params[k]; !ok && len(vs) > 0 {
				rq.params[k] = vs[0]
			}
		}
	default:
		var err error
		if ct == "multipart/form-data" {
			err = r.ParseMultipartForm(10 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return rq, slackErr("invalid_form_data", err.Error())
		}
		for k, vs := range r.Form {
			if len(vs) == 1 {
				rq.params[k] = vs[0]
			} else if len(vs) > 1 {
				rq.params[k] = strings.Join(vs, ",")
			}
		}
	}
	if rq.token == "" {
		rq.token = rq.str("token")
	}
	return rq, nil
}

// str returns a parameter as text: form values as sent, JSON scalars printed,
// JSON objects and arrays as JSON.
func (rq *request) str(key string) string {
	switch v := rq.params[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// bool reads a flag sent as a JSON bool or as "true"/"1".
func (rq *request) bool(key string) bool {
	switch v := rq.params[key].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	case json.Number:
		return v.String() != "0"
	}
	return false
}

// json returns a parameter holding JSON: a form value's text (blocks=[…]) or
// a JSON body's field as sent. It reports false when the parameter is absent
// or null.
func (rq *request) json(key string) (json.RawMessage, bool) {
	if raw, ok := rq.fields[key]; ok {
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil, false
		}
		return raw, true
	}
	v, ok := rq.params[key]
	if !ok || v == nil {
		return nil, false
	}
	if s, ok := v.(string); ok {
		if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "null" {
			return nil, false
		}
		return json.RawMessage(s), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	return b, true
}

// rawCopy returns the parameters without the token.
func (rq *request) rawCopy() map[string]any {
	m := maps.Clone(rq.params)
	delete(m, "token")
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// requireBotToken checks the token the way Slack does for bot methods.
func (s *Server) requireBotToken(rq *request) error {
	switch {
	case rq.token == "":
		return slackErr("not_authed")
	case strings.HasPrefix(rq.token, "xapp-"):
		return slackErr("not_allowed_token_type")
	case s.botToken != "" && rq.token != s.botToken:
		return slackErr("invalid_auth")
	case !strings.HasPrefix(rq.token, "xoxb-"):
		return slackErr("invalid_auth", "[ERROR] slackfake accepts bot tokens (xoxb-…)")
	}
	return nil
}

// requireAppToken checks an app-level token (apps.connections.open).
func (s *Server) requireAppToken(rq *request) error {
	switch {
	case rq.token == "":
		return slackErr("not_authed")
	case strings.HasPrefix(rq.token, "xoxb-") || strings.HasPrefix(rq.token, "xoxp-"):
		return slackErr("not_allowed_token_type")
	case s.appToken != "" && rq.token != s.appToken:
		return slackErr("invalid_auth")
	case !strings.HasPrefix(rq.token, "xapp-"):
		return slackErr("invalid_auth")
	}
	return nil
}
