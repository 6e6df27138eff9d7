package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultPort is the dashboard's port before the devnet's port offset.
const DefaultPort = 8080

// Timeouts of the server and of its proxy.
const (
	// readHeaderTimeout bounds a request's headers.
	readHeaderTimeout = 10 * time.Second
	// dialTimeout bounds connecting to a node.
	dialTimeout = 5 * time.Second
	// responseTimeout bounds a node's answer to one HTTP request (the
	// nodes' own limit is 20 s).
	responseTimeout = 30 * time.Second
	// shutdownTimeout bounds Close.
	shutdownTimeout = 3 * time.Second
)

//go:embed static
var staticFiles embed.FS

// StaticFiles are the page's files as the server serves them at "/":
// index.html, style.css and app.js.
func StaticFiles() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // "static" is embedded
	}
	return sub
}

// Server is the dashboard's HTTP server: the page, /api/config and the
// /rpc/<node> proxy (see the package comment).
type Server struct {
	config  []byte // the Config as JSON
	proxies map[string]http.Handler
	static  http.Handler
	ln      net.Listener
	srv     *http.Server
	done    chan struct{}
	// ctx is every request's base context; Close cancels it, which also
	// ends the proxied WebSocket connections (the server does not track
	// hijacked connections).
	ctx    context.Context
	cancel context.CancelFunc
	served bool // Serve ran: done closes when it returns
	// proxying counts the proxied requests in flight (WebSockets last as
	// long as their connection): Close waits for them to end.
	proxying sync.WaitGroup
}

// New returns the dashboard of cfg, not listening yet (Handler serves it;
// Listen and Serve run it).
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("dashboard: encode the config: %w", err)
	}
	s := &Server{config: data, proxies: map[string]http.Handler{}, static: http.FileServerFS(StaticFiles()), done: make(chan struct{})}
	transport := &http.Transport{
		Proxy:                 nil, // the nodes are reached directly, never through an HTTP proxy
		DialContext:           (&net.Dialer{Timeout: dialTimeout}).DialContext,
		ResponseHeaderTimeout: responseTimeout,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       time.Minute,
	}
	for _, n := range cfg.Nodes {
		target, err := url.Parse(n.RPC)
		if err != nil {
			return nil, fmt.Errorf("dashboard: node %s: %w", n.Name, err)
		}
		s.proxies[n.Name] = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.Out.URL.Path, pr.Out.URL.RawPath, pr.Out.URL.RawQuery = target.Path, target.RawPath, ""
			},
			Transport: transport,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				http.Error(w, fmt.Sprintf("dashboard: %s (%s) does not answer: %v", n.Name, n.RPC, err), http.StatusBadGateway)
			},
		}
	}
	return s, nil
}

// Listen binds addr, which must be a loopback address ("127.0.0.1:8080",
// "localhost:0"; port 0 picks a free port), and returns the dashboard of
// cfg listening there. Serve serves it; Close stops it.
func Listen(addr string, cfg Config) (*Server, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: readHeaderTimeout,
		BaseContext: func(net.Listener) context.Context { return s.ctx }}
	return s, nil
}

// CheckLoopback checks that addr is host:port with host a loopback IP
// address or "localhost": the dashboard, and its proxy to the nodes,
// serve this machine only.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dashboard address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("dashboard address %q: the dashboard serves on loopback only (127.0.0.1, [::1] or localhost)", addr)
	}
	return nil
}

// Serve serves until Close; it returns at once, serving in the background.
// Call it once, before Close.
func (s *Server) Serve() {
	s.served = true
	go func() {
		defer close(s.done)
		s.srv.Serve(s.ln) // returns http.ErrServerClosed after Close
	}()
}

// URL is the page's address, e.g. http://127.0.0.1:8080/.
func (s *Server) URL() string {
	return "http://" + s.ln.Addr().String() + "/"
}

// Close stops the server: it closes the listener and every connection,
// the proxied WebSocket ones included (cancelling their requests' context
// makes the proxy close them), within shutdownTimeout.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	s.cancel()
	err := s.srv.Shutdown(ctx)
	s.srv.Close()
	if !s.served {
		s.ln.Close() // Shutdown closes only the listeners it serves
	} else {
		select {
		case <-s.done:
		case <-ctx.Done():
		}
	}
	// The cancelled context makes the proxy close its WebSockets; wait
	// until they are closed, so nothing answers after Close.
	proxied := make(chan struct{})
	go func() { s.proxying.Wait(); close(proxied) }()
	select {
	case <-proxied:
	case <-ctx.Done():
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("dashboard: stop: %w", err)
	}
	return nil
}

// Handler serves the page, /api/config and /rpc/<node>. It refuses (403)
// requests addressed to a host name other than localhost (an IP address
// is fine), which stops DNS rebinding, and requests to /rpc/ from a page
// whose origin is not on this machine.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host) {
			http.Error(w, fmt.Sprintf("dashboard: invalid host %q: open the dashboard at 127.0.0.1 or localhost", r.Host), http.StatusForbidden)
			return
		}
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/rpc/"):
			s.serveRPC(w, r, strings.TrimPrefix(p, "/rpc/"))
		case p == "/api/config":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(s.config)
		default:
			h := w.Header()
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			// Nothing but this server: the page loads nothing from
			// elsewhere, and talks only to its own /rpc/ proxy.
			h.Set("Content-Security-Policy", fmt.Sprintf("default-src 'self'; connect-src 'self' ws://%s; img-src 'self' data:; "+
				"style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'", r.Host))
			s.static.ServeHTTP(w, r)
		}
	})
}

// serveRPC forwards a request to the named node's JSON-RPC.
func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request, name string) {
	proxy, ok := s.proxies[name]
	if !ok {
		http.Error(w, fmt.Sprintf("dashboard: no node %q (the devnet's nodes are in /api/config)", name), http.StatusNotFound)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !localOrigin(origin) {
		http.Error(w, fmt.Sprintf("dashboard: origin %q may not call the nodes through the dashboard", origin), http.StatusForbidden)
		return
	}
	s.proxying.Add(1)
	defer s.proxying.Done()
	proxy.ServeHTTP(w, r)
}

// hostAllowed reports whether a request addressed to host (the Host
// header) is served: an IP address or localhost.
func hostAllowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	return host == "localhost" || net.ParseIP(host) != nil
}

// localOrigin reports whether a page from origin was served by this
// machine: http(s) on localhost or a loopback address.
func localOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
