package ethrpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	rpc     *rpc.Server
	http    *http.Server
	ln      net.Listener
	log     *slog.Logger
	done    chan error
	events  *events // nil on a server without a Backend
	access  access
	budgets *connBudgets
	now     func() time.Time
}

// NewServer returns a server with the eth_, net_, web3_ and txpool_
// namespaces of b registered, eth_subscribe and the filter methods
// included. Register more with Register before Start.
func NewServer(b Backend, log *slog.Logger) (*Server, error) {
	s := NewBareServer(log)
	eth := NewEthAPI(b)
	s.events = newEvents(eth, log)
	eth.pending = s.events.pending
	eth.conns = s.budgets
	apis := []struct {
		name string
		api  any
	}{{"eth", eth}, {"eth", &FilterAPI{eth: eth, ev: s.events}}, {"net", &NetAPI{b}}, {"web3", &Web3API{b}}, {"txpool", NewTxPoolAPI(b)}}
	for _, a := range apis {
		if err := s.Register(a.name, a.api); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// NewBareServer returns a server with no namespace registered: the admin
// listener's. Register namespaces with Register before Start.
func NewBareServer(log *slog.Logger) *Server {
	srv := rpc.NewServer()
	srv.SetBatchLimits(MaxBatchItems, MaxResponseSize)
	srv.SetHTTPBodyLimit(MaxRequestSize)
	srv.SetWebsocketReadLimit(MaxRequestSize)
	return &Server{rpc: srv, log: log, access: defaultAccess(), budgets: &connBudgets{}, now: time.Now}
}

// Register adds a namespace: every exported method of api becomes
// namespace_method.
func (s *Server) Register(namespace string, api any) error {
	if err := s.rpc.RegisterName(namespace, api); err != nil {
		return fmt.Errorf("register rpc namespace %s: %w", namespace, err)
	}
	return nil
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
	if s.events != nil {
		defer s.events.close()
	}
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
