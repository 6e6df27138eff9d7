package ethrpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
)

// Server limits.
const (
	// MaxRequestSize carries the largest transaction the L1 accepts, a
	// rollup batch of 4 MiB, hex-encoded in eth_sendRawTransaction
	// (about 8 MiB), with room for the JSON around it.
	MaxRequestSize  = 9 << 20
	MaxBatchItems   = 100
	MaxResponseSize = 25 << 20
	ReadTimeout     = 30 * time.Second
	WriteTimeout    = 30 * time.Second
	IdleTimeout     = 2 * time.Minute
)

// Server serves JSON-RPC over HTTP and WebSocket on one address.
type Server struct {
	rpc  *rpc.Server
	http *http.Server
	ln   net.Listener
	log  *slog.Logger
	done chan error
}

// NewServer returns a server with the eth_, net_ and web3_ namespaces of b
// registered. Register more with Register before Start.
func NewServer(b Backend, log *slog.Logger) (*Server, error) {
	srv := rpc.NewServer()
	srv.SetBatchLimits(MaxBatchItems, MaxResponseSize)
	srv.SetHTTPBodyLimit(MaxRequestSize)
	srv.SetWebsocketReadLimit(MaxRequestSize)
	s := &Server{rpc: srv, log: log}
	for name, api := range map[string]any{"eth": NewEthAPI(b), "net": &NetAPI{b}, "web3": &Web3API{b}} {
		if err := s.Register(name, api); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Register adds a namespace: every exported method of api becomes
// namespace_method.
func (s *Server) Register(namespace string, api any) error {
	if err := s.rpc.RegisterName(namespace, api); err != nil {
		return fmt.Errorf("register rpc namespace %s: %w", namespace, err)
	}
	return nil
}

// Handler returns the HTTP handler: WebSocket upgrades go to the WebSocket
// server, everything else to HTTP JSON-RPC.
func (s *Server) Handler() http.Handler {
	ws := s.rpc.WebsocketHandler([]string{"*"})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			ws.ServeHTTP(w, r)
			return
		}
		s.rpc.ServeHTTP(w, r)
	})
}

// Start listens on addr (host:port; port 0 picks a free one) and serves in
// the background. Addr reports the address it listens on.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("rpc listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: ReadTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
	}
	s.done = make(chan error, 1)
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.log.Info("JSON-RPC listening", "http", "http://"+ln.Addr().String(), "ws", "ws://"+ln.Addr().String())
	return nil
}

// Addr returns the address the server listens on, once started.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Stop closes the listener, waits for in-flight requests up to ctx's
// deadline, and stops the RPC server.
func (s *Server) Stop(ctx context.Context) error {
	defer s.rpc.Stop()
	if s.http == nil {
		return nil
	}
	if err := s.http.Shutdown(ctx); err != nil {
		// Connections still open when ctx ends (a WebSocket subscriber, a
		// slow client) are closed now rather than leaked.
		closeErr := s.http.Close()
		<-s.done
		return errors.Join(fmt.Errorf("stop rpc server: %w", err), closeErr)
	}
	return <-s.done
}
