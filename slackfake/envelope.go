package slackfake

import (
	"encoding/json"

	"github.com/slack-go/slack"
)

// Envelope is a Socket Mode request as Slack sends it down the WebSocket.
// Set RetryAttempt and RetryReason to play a Slack redelivery.
type Envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	Payload                json.RawMessage `json:"payload"`
	RetryAttempt           int             `json:"retry_attempt"`
	RetryReason            string          `json:"retry_reason"`
}

// SlashEnvelope wraps a slash command. Slack lets the ack carry the
// response (accepts_response_payload true).
func SlashEnvelope(envelopeID string, cmd slack.SlashCommand) Envelope {
	payload, _ := json.Marshal(cmd) // a struct of strings and bools always marshals
	return Envelope{EnvelopeID: envelopeID, Type: "slash_commands", AcceptsResponsePayload: true, Payload: payload}
}

// EventsEnvelope wraps an Events API callback, the JSON Slack would POST to
// the events URL ({"type":"event_callback","event_id":…,"event":{…}}).
func EventsEnvelope(envelopeID string, rawEventsAPIJSON []byte) Envelope {
	return Envelope{EnvelopeID: envelopeID, Type: "events_api", Payload: json.RawMessage(rawEventsAPIJSON)}
}

// InteractiveEnvelope wraps an interaction payload (what Slack sends as
// payload= to the interactivity URL). Like Slack, it lets the ack carry a
// response for view submissions and option lookups only.
func InteractiveEnvelope(envelopeID string, rawPayloadJSON []byte) Envelope {
	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(rawPayloadJSON, &head)
	accepts := head.Type == "view_submission" || head.Type == "block_suggestion"
	return Envelope{EnvelopeID: envelopeID, Type: "interactive", AcceptsResponsePayload: accepts, Payload: json.RawMessage(rawPayloadJSON)}
}
