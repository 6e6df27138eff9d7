package ethrpc

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
)

func TestOriginRules(t *testing.T) {
	def := defaultAccess()
	for origin, want := range map[string]bool{
		"http://localhost:3000":    true,
		"http://localhost":         true,
		"https://localhost:8443":   true,
		"http://127.0.0.1:5173":    true,
		"http://[::1]:3000":        true,
		"http://evil.example":      false,
		"http://localhost.evil.io": false,
		"http://evil.example:3000": false,
		"null":                     false,
		"chrome-extension://abc":   false,
	} {
		if got := def.originAllowed(origin); got != want {
			t.Errorf("default CORS, origin %s: allowed %v, want %v", origin, got, want)
		}
	}
	a, err := newAccess([]string{"https://app.example.com", "http://localhost:3000", "http://[::1]:*"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"https://app.example.com":  true,
		"http://app.example.com":   false,
		"http://localhost:3000":    true,
		"http://localhost:3001":    false,
		"http://[::1]:9":           true,
		"https://evil.example.com": false,
	} {
		if got := a.originAllowed(origin); got != want {
			t.Errorf("custom CORS, origin %s: allowed %v, want %v", origin, got, want)
		}
	}
	if all, _ := newAccess([]string{"*"}, nil); !all.originAllowed("http://evil.example") || !all.originAllowed("null") {
		t.Error(`"*" does not allow every origin`)
	}
	if _, err := newAccess([]string{"http://a b"}, nil); err == nil {
		t.Error("a malformed origin was accepted")
	}
	for host, want := range map[string]bool{
		"localhost:8545": true, "LOCALHOST": true, "127.0.0.1:8545": true, "[::1]:8545": true, "10.0.0.7": true,
		"evil.example": false, "evil.example:8545": false, "validator-0:8545": false,
	} {
		if got := def.hostAllowed(host); got != want {
			t.Errorf("default vhosts, host %s: allowed %v, want %v", host, got, want)
		}
	}
	if any, _ := newAccess(nil, []string{"*"}); !any.hostAllowed("validator-0:8545") {
		t.Error(`vhosts "*" refused a name`)
	}
}

func request(t *testing.T, method, url, host string, header map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestBrowserAccess is item 4: by default a dapp on http://localhost:3000
// may call the node from a browser and a page from http://evil.example may
// not, over HTTP (CORS) or WebSocket (origin); a request addressed to a
// host name other than localhost (DNS rebinding) is refused.
func TestBrowserAccess(t *testing.T) {
	f := newFixture(t)
	call := `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`
	preflight := func(origin string) *http.Response {
		return request(t, http.MethodOptions, f.url, "", map[string]string{"Origin": origin,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, "")
	}
	if r := preflight("http://localhost:3000"); r.StatusCode != http.StatusNoContent ||
		r.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || !strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		r.Header.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Fatalf("preflight from the local dapp: %d %v", r.StatusCode, r.Header)
	}
	if r := preflight("http://evil.example"); r.StatusCode != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from evil.example: %d %v", r.StatusCode, r.Header)
	}
	json := map[string]string{"Content-Type": "application/json"}
	withOrigin := func(o string) map[string]string {
		return map[string]string{"Content-Type": "application/json", "Origin": o}
	}
	if r := request(t, http.MethodPost, f.url, "", withOrigin("http://localhost:3000"), call); r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Fatalf("call from the local dapp: %d %v", r.StatusCode, r.Header)
	}
	if r := request(t, http.MethodPost, f.url, "", withOrigin("http://evil.example"), call); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a call from evil.example got CORS headers: %v", r.Header)
	}
	if r := request(t, http.MethodPost, f.url, "evil.example:8545", json, call); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a request for host evil.example: %d", r.StatusCode)
	}
	if r := request(t, http.MethodPost, f.url, "localhost:8545", json, call); r.StatusCode != 200 {
		t.Fatalf("a request for host localhost: %d", r.StatusCode)
	}

	ws := "ws://" + f.server.Addr()
	if c, err := rpc.DialWebsocket(ctx(t), ws, "http://evil.example"); err == nil {
		c.Close()
		t.Fatal("a WebSocket from evil.example was accepted")
	}
	c, err := rpc.DialWebsocket(ctx(t), ws, "http://localhost:3000")
	if err != nil {
		t.Fatalf("a WebSocket from the local dapp: %v", err)
	}
	defer c.Close()
	var id string
	if err := c.CallContext(ctx(t), &id, "eth_chainId"); err != nil || id != "0x539" {
		t.Fatalf("over the dapp's WebSocket: %s, %v", id, err)
	}
}

// TestCustomAccess: --rpc.cors and --rpc.vhosts replace the defaults.
func TestCustomAccess(t *testing.T) {
	f := newFixture(t)
	srv, err := NewServer(f.chain, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetCORS([]string{"https://app.example.com"}); err != nil {
		t.Fatal(err)
	}
	srv.SetVirtualHosts([]string{"*"})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(c)
	}()
	url := "http://" + srv.Addr()
	h := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
	if r := request(t, http.MethodOptions, url, "node.example", h, ""); r.StatusCode != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("listed origin on any host: %d %v", r.StatusCode, r.Header)
	}
	h["Origin"] = "http://localhost:3000"
	if r := request(t, http.MethodOptions, url, "", h, ""); r.StatusCode != http.StatusForbidden {
		t.Fatalf("localhost is no longer listed: %d", r.StatusCode)
	}
	if err := srv.SetCORS([]string{"ftp://"}); err == nil {
		t.Fatal("a malformed origin was accepted")
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8551": true, "[::1]:8551": true, "localhost:8551": true,
		"0.0.0.0:8551": false, ":8551": false, "10.0.0.1:8551": false, "127.0.0.1": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestAdminListenerRefusesBrowsers: a bare server with no CORS origin (the
// admin listener) refuses every browser origin, over HTTP and WebSocket.
func TestAdminListenerRefusesBrowsers(t *testing.T) {
	srv := NewBareServer(slog.New(slog.DiscardHandler))
	if err := srv.SetCORS(nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("web3", &Web3API{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(c)
	}()
	h := map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
	if r := request(t, http.MethodOptions, "http://"+srv.Addr(), "", h, ""); r.StatusCode != http.StatusForbidden {
		t.Fatalf("preflight from localhost: %d", r.StatusCode)
	}
	if c, err := rpc.DialWebsocket(ctx(t), "ws://"+srv.Addr(), "http://localhost:3000"); err == nil {
		c.Close()
		t.Fatal("a browser WebSocket reached the admin listener")
	}
	c, err := rpc.Dial("http://" + srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out string
	if err := c.CallContext(ctx(t), &out, "web3_sha3", "0x"); err != nil {
		t.Fatalf("a local client: %v", err)
	}
}
