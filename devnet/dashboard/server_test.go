package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/dashboard"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"
)

// echoService is the fake node's JSON-RPC API: test_echo.
type echoService struct{}

func (echoService) Echo(s string) string { return "echo " + s }

// fakeNode serves test_echo over HTTP and WebSocket, as a node does.
func fakeNode(t *testing.T) *httptest.Server {
	t.Helper()
	srv := rpc.NewServer()
	if err := srv.RegisterName("test", echoService{}); err != nil {
		t.Fatal(err)
	}
	ws := srv.WebsocketHandler([]string{"*"})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			ws.ServeHTTP(w, r)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { ts.Close(); srv.Stop() })
	return ts
}

// serve runs the dashboard of cfg on a free loopback port.
func serve(t *testing.T, cfg dashboard.Config) *dashboard.Server {
	t.Helper()
	srv, err := dashboard.Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return srv
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestConfigFromEndpoints(t *testing.T) {
	eps := devnet.Endpoints{ChainID: 1337, L2ChainID: 1338, Datadir: "/d", Nodes: []devnet.Endpoint{
		{Name: "validator-0", Role: devnet.RoleValidator, RPC: "http://127.0.0.1:8545", WS: "ws://127.0.0.1:8545", Validator: "0xabc"},
		{Name: "sequencer", Role: devnet.RoleSequencer, RPC: "http://127.0.0.1:9545", Address: "0xdef", L1RPC: "http://127.0.0.1:8545"},
	}}
	cfg, err := dashboard.FromEndpoints(eps, &devnet.ChainParams{L1BlockTime: time.Second, ChallengeWindow: 30})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.L1ChainID != 1337 || cfg.L2ChainID != 1338 || cfg.ChallengeWindow != 30 || cfg.L1BlockTimeMs != 1000 || len(cfg.Nodes) != 2 {
		t.Fatalf("config %+v", cfg)
	}
	if n := cfg.Nodes[1]; n.Name != "sequencer" || n.Address != "0xdef" || n.L1RPC != "http://127.0.0.1:8545" {
		t.Errorf("sequencer node %+v", n)
	}
	if len(cfg.Accounts) != 10 || cfg.Accounts[0].Address != common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266") {
		t.Errorf("accounts %+v", cfg.Accounts)
	}
	if cfg.Contracts.Rollup != contract.Address || cfg.Contracts.Bridge != bridge.Address || cfg.Contracts.WithdrawalQueue != bridge.WithdrawalQueueAddress {
		t.Errorf("contracts %+v", cfg.Contracts)
	}
	for _, name := range []string{"BatchAccepted", "BatchFinalized", "Challenged", "Deposit", "ForceWithdrawal", "ForceTransfer", "WithdrawalPaid", "WithdrawalInitiated"} {
		if cfg.Topics[name] == (common.Hash{}) {
			t.Errorf("no topic for %s", name)
		}
	}
}

func TestConfigRefusesBadNodes(t *testing.T) {
	for _, nodes := range [][]dashboard.Node{
		{{Name: "a/b", RPC: "http://127.0.0.1:1"}},
		{{Name: "a", RPC: "http://127.0.0.1:1"}, {Name: "a", RPC: "http://127.0.0.1:2"}},
		{{Name: "a", RPC: "127.0.0.1:1"}},
		{{Name: "a", RPC: "file:///etc/passwd"}},
	} {
		if _, err := dashboard.New(dashboard.Config{Nodes: nodes}); err == nil {
			t.Errorf("nodes %+v accepted", nodes)
		}
	}
}

func TestListenIsLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:80", "127.0.0.1"} {
		if err := dashboard.CheckLoopback(addr); err == nil {
			t.Errorf("%s accepted", addr)
		}
		if _, err := dashboard.Listen(addr, dashboard.Config{}); err == nil {
			t.Errorf("Listen(%s) accepted", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:8080", "localhost:0", "[::1]:8080", "127.0.0.2:0"} {
		if err := dashboard.CheckLoopback(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

// externalRE matches a reference to another host in the page's files: a
// URL with a scheme, or a protocol-relative one in src, href or url().
var externalRE = regexp.MustCompile(`(?i)\b(?:https?|wss?|ftp):\/\/[a-z0-9\[]|(?:src|href)\s*=\s*["']?\/\/|url\(\s*["']?\/\/|@import`)

// TestPageLoadsNothingFromElsewhere serves the page and checks that none
// of its files reference another host, and that the server forbids it
// (Content-Security-Policy).
func TestPageLoadsNothingFromElsewhere(t *testing.T) {
	srv := serve(t, dashboard.Config{})
	res, body := get(t, srv.URL(), nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `src="/app.js"`) || !strings.Contains(body, `href="/style.css"`) {
		t.Fatalf("GET /: %s\n%s", res.Status, body)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	files := dashboard.StaticFiles()
	n := 0
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		data, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		if m := externalRE.Find(data); m != nil {
			t.Errorf("%s references another host: %q", path, m)
		}
		if res, _ := get(t, srv.URL()+strings.TrimPrefix(path, "static/"), nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET /%s: %s", path, res.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("%d static files, want index.html, style.css and app.js", n)
	}
}

func TestServesConfig(t *testing.T) {
	cfg := dashboard.Config{L1ChainID: 1337, Nodes: []dashboard.Node{{Name: "validator-0", Role: devnet.RoleValidator, RPC: "http://127.0.0.1:1"}}}
	srv := serve(t, cfg)
	res, body := get(t, srv.URL()+"api/config", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/config: %s %s", res.Status, res.Header.Get("Content-Type"))
	}
	var got dashboard.Config
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.L1ChainID != 1337 || len(got.Nodes) != 1 || got.Nodes[0].RPC != "http://127.0.0.1:1" {
		t.Errorf("config %+v", got)
	}
}

// TestProxyForwardsHTTPAndWebSocket calls a node through /rpc/<node> over
// HTTP and over WebSocket, from no origin and from the page's.
func TestProxyForwardsHTTPAndWebSocket(t *testing.T) {
	node := fakeNode(t)
	srv := serve(t, dashboard.Config{Nodes: []dashboard.Node{{Name: "validator-0", RPC: node.URL}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	hc, err := rpc.DialHTTP(srv.URL() + "rpc/validator-0")
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	var got string
	if err := hc.CallContext(ctx, &got, "test_echo", "http"); err != nil || got != "echo http" {
		t.Fatalf("HTTP through the proxy: %q, %v", got, err)
	}

	page := strings.TrimSuffix(srv.URL(), "/")
	wsURL := "ws" + strings.TrimPrefix(srv.URL(), "http") + "rpc/validator-0"
	for _, origin := range []string{"", page, "http://localhost:3000"} {
		wc, err := rpc.DialWebsocket(ctx, wsURL, origin)
		if err != nil {
			t.Fatalf("WebSocket from origin %q: %v", origin, err)
		}
		err = wc.CallContext(ctx, &got, "test_echo", "ws")
		wc.Close()
		if err != nil || got != "echo ws" {
			t.Fatalf("WebSocket from origin %q: %q, %v", origin, got, err)
		}
	}
}

// TestProxyRefuses checks what the proxy will not do: serve a foreign
// host name (DNS rebinding), a page of another origin, or a node that is
// not the devnet's; a node that is down is a 502.
func TestProxyRefuses(t *testing.T) {
	node := fakeNode(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	srv := serve(t, dashboard.Config{Nodes: []dashboard.Node{{Name: "validator-0", RPC: node.URL}, {Name: "sequencer", RPC: downURL}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if res, _ := get(t, srv.URL(), map[string]string{"Host": "evil.example:8080"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a foreign host name: %s, want 403", res.Status)
	}
	if res, _ := get(t, srv.URL(), map[string]string{"Host": "localhost:8080"}); res.StatusCode != http.StatusOK {
		t.Errorf("localhost: %s, want 200", res.Status)
	}
	wsURL := "ws" + strings.TrimPrefix(srv.URL(), "http") + "rpc/validator-0"
	if _, err := rpc.DialWebsocket(ctx, wsURL, "http://evil.example"); err == nil {
		t.Error("a WebSocket from http://evil.example was accepted")
	}
	if res, _ := get(t, srv.URL()+"rpc/validator-0", map[string]string{"Origin": "http://evil.example"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("HTTP from http://evil.example: %s, want 403", res.Status)
	}
	if res, _ := get(t, srv.URL()+"rpc/nobody", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown node: %s, want 404", res.Status)
	}
	c, err := rpc.DialHTTP(srv.URL() + "rpc/sequencer")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got string
	var httpErr rpc.HTTPError
	if err := c.CallContext(ctx, &got, "test_echo", "x"); !errors.As(err, &httpErr) || httpErr.StatusCode != http.StatusBadGateway {
		t.Errorf("a node that is down: %v, want HTTP 502", err)
	}
}

// TestCloseEndsWebSockets checks that Close ends the proxied WebSocket
// connections, which the HTTP server does not track.
func TestCloseEndsWebSockets(t *testing.T) {
	node := fakeNode(t)
	srv, err := dashboard.Listen("127.0.0.1:0", dashboard.Config{Nodes: []dashboard.Node{{Name: "validator-0", RPC: node.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wc, err := rpc.DialWebsocket(ctx, "ws"+strings.TrimPrefix(srv.URL(), "http")+"rpc/validator-0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	var got string
	if err := wc.CallContext(ctx, &got, "test_echo", "before"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := wc.CallContext(ctx, &got, "test_echo", "after"); err == nil {
		t.Fatal("a WebSocket through the proxy still answers after Close")
	}
}
