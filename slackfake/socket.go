package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Ack is a message the Socket Mode client wrote back: an acknowledgement of
// an envelope, with the optional response payload.
type Ack struct {
	EnvelopeID string
	// Payload is the response payload as sent (nil when the ack had none).
	Payload json.RawMessage
}

// Socket is the fake's Socket Mode side: it accepts the WebSocket that
// apps.connections.open points to, sends envelopes down it and records acks.
type Socket struct {
	s *Server

	mu         sync.Mutex
	tickets    map[string]bool
	nextTicket int
	nextConn   int
	open       []*wsConn // oldest first; Send uses the newest
	total      int
	acks       []Ack
	closed     bool
	changed    chan struct{} // closed and replaced on every change
	wg         sync.WaitGroup
}

type wsConn struct {
	id   int
	c    *websocket.Conn
	wmu  sync.Mutex // gorilla allows one writer at a time
	done chan struct{}
}

// SocketMode enables apps.connections.open (which takes an xapp- token) and
// returns the Socket Mode side of the fake. WebSockets need a real listener,
// so it calls Start if that has not happened; Close stops both.
func (s *Server) SocketMode() *Socket {
	s.Start()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.socket == nil {
		s.socket = &Socket{s: s, tickets: map[string]bool{}, changed: make(chan struct{})}
	}
	return s.socket
}

// connectionsOpen answers apps.connections.open; s.mu is held.
func (s *Server) connectionsOpen() (map[string]any, error) {
	if s.socket == nil || s.ts == nil {
		return nil, slackErr("socket_mode_disabled", "[ERROR] call slackfake.Server.SocketMode first")
	}
	ticket := s.socket.issueTicket()
	u := "ws" + strings.TrimPrefix(s.ts.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return map[string]any{"url": u}, nil
}

func (sk *Socket) issueTicket() string {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	sk.nextTicket++
	t := fmt.Sprintf("fake-ticket-%d", sk.nextTicket)
	sk.tickets[t] = true
	return t
}

// changedLocked wakes everyone waiting on the socket's state.
func (sk *Socket) changedLocked() {
	close(sk.changed)
	sk.changed = make(chan struct{})
}

var upgrader = websocket.Upgrader{
	// slack-go sends Origin: https://api.slack.com, which is not our host.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sk := s.socket
	s.mu.Unlock()
	if sk == nil {
		http.NotFound(w, r)
		return
	}
	sk.mu.Lock()
	ticket := r.URL.Query().Get("ticket")
	valid := sk.tickets[ticket] && !sk.closed
	delete(sk.tickets, ticket) // a ticket is good for one connection
	if valid {
		sk.wg.Add(1)
	}
	sk.mu.Unlock()
	if !valid {
		http.Error(w, "slackfake: unknown or used Socket Mode ticket", http.StatusUnauthorized)
		return
	}
	defer sk.wg.Done()

	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	conn := &wsConn{c: c, done: make(chan struct{})}

	sk.mu.Lock()
	sk.nextConn++
	conn.id = sk.nextConn
	numConns := len(sk.open) + 1
	sk.mu.Unlock()

	hello := map[string]any{
		"type":            "hello",
		"num_connections": numConns,
		"debug_info": map[string]any{
			"host": "slackfake", "build_number": 1, "approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	}
	if err := conn.writeJSON(hello, 10*time.Second); err != nil {
		_ = c.Close()
		return
	}

	sk.mu.Lock()
	if sk.closed {
		sk.mu.Unlock()
		_ = c.Close()
		return
	}
	sk.open = append(sk.open, conn)
	sk.total++
	sk.changedLocked()
	sk.mu.Unlock()

	go conn.ping(sk.s.pingInterval)
	sk.readAcks(conn)

	close(conn.done)
	_ = c.Close()
	sk.mu.Lock()
	sk.open = slices.DeleteFunc(sk.open, func(o *wsConn) bool { return o == conn })
	sk.changedLocked()
	sk.mu.Unlock()
}

// ping keeps slack-go's dead-connection timer from firing.
func (c *wsConn) ping(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if err := c.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
				return
			}
		}
	}
}

func (c *wsConn) writeJSON(v any, timeout time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.write(b, time.Now().Add(timeout))
}

func (c *wsConn) write(b []byte, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.c.SetWriteDeadline(deadline); err != nil {
		return err
	}
	return c.c.WriteMessage(websocket.TextMessage, b)
}

// readAcks records what the client writes until the connection ends.
func (sk *Socket) readAcks(conn *wsConn) {
	for {
		_, data, err := conn.c.ReadMessage()
		if err != nil {
			return
		}
		var msg struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &msg) != nil || msg.EnvelopeID == "" {
			continue
		}
		if string(msg.Payload) == "null" {
			msg.Payload = nil
		}
		sk.mu.Lock()
		sk.acks = append(sk.acks, Ack{EnvelopeID: msg.EnvelopeID, Payload: msg.Payload})
		sk.changedLocked()
		sk.mu.Unlock()
	}
}

// Send writes an envelope (an Envelope, any value that marshals to one, or
// JSON bytes) to the newest open connection, waiting for the client to
// connect if none is open.
func (sk *Socket) Send(ctx context.Context, envelope any) error {
	var data []byte
	switch v := envelope.(type) {
	case []byte:
		data = v
	case json.RawMessage:
		data = v
	case string:
		data = []byte(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("slackfake: marshal envelope: %w", err)
		}
		data = b
	}
	if !json.Valid(data) {
		return errors.New("slackfake: envelope is not valid JSON")
	}
	for {
		sk.mu.Lock()
		closed, changed := sk.closed, sk.changed
		var conn *wsConn
		if len(sk.open) > 0 {
			conn = sk.open[len(sk.open)-1]
		}
		sk.mu.Unlock()
		if closed {
			return errors.New("slackfake: socket closed")
		}
		if conn != nil {
			deadline, ok := ctx.Deadline()
			if !ok {
				deadline = time.Now().Add(10 * time.Second)
			}
			if err := conn.write(data, deadline); err != nil {
				return fmt.Errorf("slackfake: send envelope: %w", err)
			}
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: no Socket Mode connection to send to: %w", ctx.Err())
		}
	}
}

// Acks returns the acknowledgements received so far, in order.
func (sk *Socket) Acks() []Ack {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	return slices.Clone(sk.acks)
}

// WaitAck blocks until the client acknowledges envelopeID.
func (sk *Socket) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	for {
		sk.mu.Lock()
		changed := sk.changed
		for _, a := range sk.acks {
			if a.EnvelopeID == envelopeID {
				sk.mu.Unlock()
				return a, nil
			}
		}
		sk.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Ack{}, fmt.Errorf("slackfake: waiting for ack of envelope %q: %w", envelopeID, ctx.Err())
		}
	}
}

// Connections reports how many WebSocket connections the fake has accepted,
// counting those since closed: after a Disconnect and a reconnect it is 2.
func (sk *Socket) Connections() int {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	return sk.total
}

// WaitConnections blocks until at least n connections have been accepted.
func (sk *Socket) WaitConnections(ctx context.Context, n int) error {
	for {
		sk.mu.Lock()
		total, changed := sk.total, sk.changed
		sk.mu.Unlock()
		if total >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: waiting for %d Socket Mode connections, have %d: %w", n, total, ctx.Err())
		}
	}
}

// Disconnect tells every open connection to go away, as Slack does before
// it refreshes a connection ({"type":"disconnect","reason":"refresh_requested"}),
// then closes it; slack-go reconnects through apps.connections.open.
func (sk *Socket) Disconnect() {
	sk.mu.Lock()
	conns := sk.open
	sk.open = nil
	sk.changedLocked()
	sk.mu.Unlock()
	msg := map[string]any{
		"type":       "disconnect",
		"reason":     "refresh_requested",
		"debug_info": map[string]any{"host": "slackfake"},
	}
	for _, c := range conns {
		_ = c.writeJSON(msg, 5*time.Second)
		c.shut(websocket.CloseNormalClosure)
	}
}

func (c *wsConn) shut(code int) {
	_ = c.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	_ = c.c.Close()
}

// closeAll ends every connection and waits for their handlers.
func (sk *Socket) closeAll() {
	sk.mu.Lock()
	sk.closed = true
	conns := sk.open
	sk.open = nil
	sk.changedLocked()
	sk.mu.Unlock()
	for _, c := range conns {
		c.shut(websocket.CloseGoingAway)
	}
	sk.wg.Wait()
}
