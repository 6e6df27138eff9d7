package ethrpc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCORS are the browser origins allowed by default: pages served
// from this machine (any scheme and port), so a dapp on
// http://localhost:3000 works and a page from anywhere else does not.
var DefaultCORS = []string{"localhost", "127.0.0.1", "[::1]"}

// DefaultVHosts are the host names requests may be addressed to by
// default (IP addresses are always accepted), which stops DNS rebinding:
// a page whose name resolves to 127.0.0.1 still sends its own name.
var DefaultVHosts = []string{"localhost"}

// originRule is one allowed origin: any (all set), or a host with an
// optional scheme and port ("" = any).
type originRule struct {
	all                bool
	scheme, host, port string
}

// parseOriginRule reads "*", "host", "scheme://host" or
// "scheme://host:port" ("*" for any port; IPv6 hosts in brackets).
func parseOriginRule(s string) (originRule, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "*" {
		return originRule{all: true}, nil
	}
	var r originRule
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		r.scheme, s = scheme, rest
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return r, fmt.Errorf("origin %q: unclosed [", s)
		}
		host = s[1:end]
		if rest := s[end+1:]; rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return r, fmt.Errorf("origin %q: want host:port", s)
			}
			port = rest[1:]
		}
	} else if h, p, ok := strings.Cut(s, ":"); ok {
		host, port = h, p
	}
	if host == "" || strings.ContainsAny(host, "/?#@ ") {
		return r, fmt.Errorf("origin %q: want *, a host, or scheme://host[:port]", s)
	}
	if port == "*" {
		port = ""
	}
	r.host, r.port = host, port
	return r, nil
}

func (r originRule) allows(scheme, host, port string) bool {
	return r.all || ((r.scheme == "" || r.scheme == scheme) && r.host == host && (r.port == "" || r.port == port))
}

// access says which browser origins and which host names may reach a
// server.
type access struct {
	origins []originRule
	vhosts  map[string]bool // lower case; "*" = any
}

func defaultAccess() access {
	a, err := newAccess(DefaultCORS, DefaultVHosts)
	if err != nil {
		panic(err) // the defaults parse
	}
	return a
}

func newAccess(cors, vhosts []string) (access, error) {
	a := access{vhosts: map[string]bool{}}
	for _, o := range cors {
		if strings.TrimSpace(o) == "" {
			continue
		}
		r, err := parseOriginRule(o)
		if err != nil {
			return access{}, fmt.Errorf("CORS: %w", err)
		}
		a.origins = append(a.origins, r)
	}
	for _, h := range vhosts {
		if h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")); h != "" {
			a.vhosts[h] = true
		}
	}
	return a, nil
}

// originAllowed reports whether a page from origin may call the server.
func (a access) originAllowed(origin string) bool {
	u, err := url.Parse(strings.ToLower(origin))
	if err != nil || u.Host == "" {
		return a.anyAll() // "null" (a file or a sandbox) and the like
	}
	for _, r := range a.origins {
		if r.allows(u.Scheme, u.Hostname(), u.Port()) {
			return true
		}
	}
	return false
}

func (a access) anyAll() bool {
	for _, r := range a.origins {
		if r.all {
			return true
		}
	}
	return false
}

// hostAllowed reports whether a request addressed to host (the Host
// header) is served: an IP address, or a listed name.
func (a access) hostAllowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	return net.ParseIP(host) != nil || a.vhosts["*"] || a.vhosts[host]
}

// SetCORS sets the browser origins allowed to call the server (geth's
// --http.corsdomain, and its --ws.origins for WebSocket): "*", a host
// ("localhost": any scheme and port), or "scheme://host[:port]". A
// browser page from another origin gets no CORS headers over HTTP (so the
// browser withholds the answer and never sends a JSON request) and is
// refused a WebSocket. Call it before Start; an empty list allows none.
func (s *Server) SetCORS(origins []string) error {
	a, err := newAccess(origins, nil)
	if err != nil {
		return err
	}
	s.access.origins = a.origins
	return nil
}

// SetVirtualHosts sets the host names the server answers to (geth's
// --http.vhosts): "*" for any; IP addresses are always served. Call it
// before Start.
func (s *Server) SetVirtualHosts(hosts []string) {
	a, _ := newAccess(nil, hosts)
	s.access.vhosts = a.vhosts
}

// connBudgets holds the work budget of each open WebSocket connection,
// by remote address.
type connBudgets struct {
	mu sync.Mutex
	m  map[string]*budget
}

func (c *connBudgets) open(key string, b *budget) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*budget{}
	}
	c.m[key] = b
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.m[key] == b {
			delete(c.m, key)
		}
	}
}

func (c *connBudgets) get(key string) *budget {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

// Handler returns the HTTP handler. It refuses requests addressed to a
// host name not among the virtual hosts, answers CORS for the allowed
// origins, and refuses WebSocket connections from other origins. WebSocket
// upgrades go to the WebSocket server (at most MaxWebSocketConnections at
// once, each with a work budget); other requests to HTTP JSON-RPC, at
// most MaxConcurrentRequests at once, each bounded by RequestTimeout and
// a work budget of MaxRequestWork that the calls of a batch share.
func (s *Server) Handler() http.Handler {
	ws := s.rpc.WebsocketHandler([]string{"*"}) // origins are checked here first
	var wsConns atomic.Int64
	slots := make(chan struct{}, MaxConcurrentRequests)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.access.hostAllowed(r.Host) {
			http.Error(w, fmt.Sprintf("invalid host specified: %q is not one of this server's virtual hosts (--rpc.vhosts)", r.Host), http.StatusForbidden)
			return
		}
		origin := r.Header.Get("Origin")
		allowed := origin == "" || s.access.originAllowed(origin)
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			if !allowed {
				http.Error(w, fmt.Sprintf("origin %q not allowed (--rpc.cors)", origin), http.StatusForbidden)
				return
			}
			if wsConns.Add(1) > MaxWebSocketConnections {
				wsConns.Add(-1)
				http.Error(w, fmt.Sprintf("too many WebSocket connections: at most %d (MaxWebSocketConnections)", MaxWebSocketConnections), http.StatusServiceUnavailable)
				return
			}
			defer wsConns.Add(-1)
			defer s.budgets.open(r.RemoteAddr, newBudget(MaxRequestWork, MaxRequestWork, "WebSocket connection", s.now))()
			ws.ServeHTTP(w, r)
			return
		}
		if origin != "" {
			if !allowed {
				if r.Method == http.MethodOptions {
					http.Error(w, fmt.Sprintf("origin %q not allowed (--rpc.cors)", origin), http.StatusForbidden)
					return
				}
				// Served without CORS headers: a browser withholds the
				// answer, and never sends a JSON request after the
				// preflight above fails. Wallet extensions, which send
				// their own origin and ignore CORS, keep working.
			} else {
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
				if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
					h.Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
					if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
						h.Set("Access-Control-Allow-Headers", req)
					}
					h.Set("Access-Control-Max-Age", "600")
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
		}
		if !acquireSlot(r.Context(), slots) {
			http.Error(w, fmt.Sprintf("too many concurrent requests: at most %d (MaxConcurrentRequests) and none finished within %s; retry later",
				MaxConcurrentRequests, QueueTimeout), http.StatusServiceUnavailable)
			return
		}
		defer func() { <-slots }()
		ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
		defer cancel()
		ctx = withBudget(ctx, newBudget(MaxRequestWork, 0, "request", nil))
		s.rpc.ServeHTTP(w, r.WithContext(ctx))
	})
}

// acquireSlot takes a request slot, waiting up to QueueTimeout.
func acquireSlot(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(QueueTimeout)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-t.C:
		return false
	}
}

// SetAccess sets the allowed browser origins (SetCORS) and the virtual
// hosts (SetVirtualHosts): the --rpc.cors and --rpc.vhosts flags. Call it
// before Start.
func (s *Server) SetAccess(cors, vhosts []string) error {
	if err := s.SetCORS(cors); err != nil {
		return err
	}
	s.SetVirtualHosts(vhosts)
	return nil
}

// IsLoopback reports whether a listen address (host:port) is on the
// loopback interface only: "localhost" or a loopback IP.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
