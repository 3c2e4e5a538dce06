package server

import (
	"net"
	"sync"
)

// limitPerIP caps the connections one client address may hold open at
// once: a client that opens more (a slow-body or idle-connection flood)
// gets a 503 on each extra one, which is then closed, while other clients
// are still served.
func limitPerIP(ln net.Listener, max int) net.Listener {
	return &ipLimitListener{Listener: ln, max: max, open: map[string]int{}}
}

type ipLimitListener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open map[string]int
}

// tooMany is the whole answer to a connection over the cap.
const tooMany = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 110\r\n\r\n" +
	`{"errors":[{"message":"too many connections from this address","extensions":{"code":"TOO_MANY_CONNECTIONS"}}]}`

func (l *ipLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open[ip] < l.max
		if ok {
			l.open[ip]++
		}
		l.mu.Unlock()
		if ok {
			return &ipConn{Conn: c, l: l, ip: ip}, nil
		}
		go func() {
			_, _ = c.Write([]byte(tooMany))
			_ = c.Close()
		}()
	}
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

type ipConn struct {
	net.Conn
	l    *ipLimitListener
	ip   string
	once sync.Once
}

func (c *ipConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		if c.l.open[c.ip]--; c.l.open[c.ip] <= 0 {
			delete(c.l.open, c.ip)
		}
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
