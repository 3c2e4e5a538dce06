package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/server"
)

// serve runs h's server with Serve (its timeouts and connection cap, which
// httptest does not apply) and returns its address.
func serve(t *testing.T, h *harness) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- h.srv.Serve(ctx, "127.0.0.1:0", func(a net.Addr) { addr <- a.String() }) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-addr:
		return a
	case err := <-done:
		t.Fatal(err)
	}
	return ""
}

// slowPost opens a connection and sends a POST's headers and the first
// byte of a body that never comes.
func slowPost(t *testing.T, addr, secret string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	auth := ""
	if secret != "" {
		auth = "Authorization: Bearer " + secret + "\r\n"
	}
	if _, err := fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%sContent-Length: 1000\r\n\r\n{", auth); err != nil {
		t.Fatal(err)
	}
	return c
}

// closedBy reads c to its end and returns the status line it got and
// whether the server closed it before the deadline.
func closedBy(c net.Conn, deadline time.Time) (status string, closed bool) {
	_ = c.SetReadDeadline(deadline)
	br := bufio.NewReader(c)
	status, _ = br.ReadString('\n')
	_, err := io.Copy(io.Discard, br)
	return strings.TrimSpace(status), err == nil
}

// TestUnauthenticatedSlowBodiesCutOff: requests without a key are refused
// before their body is read and their connections closed, long before the
// read timeout (10 minutes here), so never-finished bodies hold nothing.
func TestUnauthenticatedSlowBodiesCutOff(t *testing.T) {
	h := newHarness(t, server.Config{ReadTimeout: 10 * time.Minute, MaxConnsPerIP: 100})
	addr := serve(t, h)
	var conns []net.Conn
	for range 50 {
		conns = append(conns, slowPost(t, addr, ""))
	}
	deadline := time.Now().Add(30 * time.Second)
	for i, c := range conns {
		status, closed := closedBy(c, deadline)
		c.Close()
		if !strings.Contains(status, " 401 ") || !closed {
			t.Fatalf("connection %d: status %q, closed by the server %v", i, status, closed)
		}
	}
}

// TestSlowBodyReadTimeout: an authenticated body that never finishes is
// cut off by the read timeout.
func TestSlowBodyReadTimeout(t *testing.T) {
	h := newHarness(t, server.Config{ReadTimeout: time.Second})
	addr := serve(t, h)
	c := slowPost(t, addr, h.keys[viewer])
	defer c.Close()
	if _, closed := closedBy(c, time.Now().Add(30*time.Second)); !closed {
		t.Fatal("a body that never finished held its connection past the read timeout")
	}
}

// TestConnectionsPerIPCapped: connections over the per-address cap are
// answered 503 and closed; a slot freed is usable again.
func TestConnectionsPerIPCapped(t *testing.T) {
	h := newHarness(t, server.Config{MaxConnsPerIP: 5})
	addr := serve(t, h)
	var idle []net.Conn
	for range 5 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// The server accepts in order: the sixth is over the cap.
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	status, closed := closedBy(extra, time.Now().Add(30*time.Second))
	extra.Close()
	if !strings.Contains(status, " 503 ") || !closed {
		t.Fatalf("over the cap: status %q, closed %v", status, closed)
	}
	idle[0].Close()
	for deadline := time.Now().Add(30 * time.Second); ; {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
		req.Close = true
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("freed slot not reusable: %v %v", resp, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
