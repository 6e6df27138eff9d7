package main

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/dashboard"
	"github.com/urfave/cli/v2"
)

// withDashboard runs startDashboard under the up command's dashboard
// flags parsed from args, for a devnet at port offset offset.
func withDashboard(t *testing.T, offset int, args ...string) (*dashboard.Server, error) {
	t.Helper()
	var srv *dashboard.Server
	var startErr error
	app := &cli.App{Name: "devnet", Commands: []*cli.Command{{Name: "up", Flags: []cli.Flag{dashboardAddrFlag, noDashboardFlag},
		Action: func(c *cli.Context) error {
			eps := devnet.Endpoints{ChainID: 1337, Nodes: []devnet.Endpoint{{Name: "validator-0", Role: devnet.RoleValidator, RPC: "http://127.0.0.1:8545"}}}
			srv, startErr = startDashboard(c, devnet.Config{PortOffset: offset}, eps, devnet.ChainParams{})
			return nil
		}}}}
	if err := app.Run(append([]string{"devnet", "up"}, args...)); err != nil {
		t.Fatal(err)
	}
	if srv != nil {
		t.Cleanup(func() { srv.Close() })
	}
	return srv, startErr
}

// freePortAbove returns a loopback port above the dashboard's default
// that is free now.
func freePortAbove(t *testing.T) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port > dashboard.DefaultPort {
			return port
		}
	}
	t.Fatal("no free port above the dashboard's default")
	return 0
}

func TestDashboardListensOnTheDefaultPortPlusTheOffset(t *testing.T) {
	port := freePortAbove(t)
	srv, err := withDashboard(t, port-dashboard.DefaultPort)
	if err != nil || srv == nil {
		t.Fatalf("startDashboard: %v, %v", srv, err)
	}
	if want := fmt.Sprintf("http://127.0.0.1:%d/", port); srv.URL() != want {
		t.Errorf("URL %s, want %s", srv.URL(), want)
	}
}

func TestDashboardFlags(t *testing.T) {
	if srv, err := withDashboard(t, 0, "--no-dashboard"); srv != nil || err != nil {
		t.Errorf("--no-dashboard: %v, %v", srv, err)
	}
	if _, err := withDashboard(t, 0, "--dashboard.addr", "0.0.0.0:8080"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("--dashboard.addr 0.0.0.0:8080: %v", err)
	}
	srv, err := withDashboard(t, 0, "--dashboard.addr", "127.0.0.1:0")
	if err != nil || srv == nil || !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Fatalf("--dashboard.addr 127.0.0.1:0: %v, %v", srv, err)
	}
	// A port already taken costs the dashboard, not the devnet.
	taken := strings.TrimSuffix(strings.TrimPrefix(srv.URL(), "http://"), "/")
	if srv2, err := withDashboard(t, 0, "--dashboard.addr", taken); srv2 != nil || err != nil {
		t.Errorf("--dashboard.addr %s (taken): %v, %v; want no dashboard and no error", taken, srv2, err)
	}
}

// TestComposeEndpoints: `devnet dashboard --compose` watches the ports
// docker-compose.yml publishes, with the devnet genesis's chain ids and
// windows.
func TestComposeEndpoints(t *testing.T) {
	eps, params, err := composeEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	if eps.ChainID != 1337 || eps.L2ChainID != 1338 || len(eps.Nodes) != 6 {
		t.Fatalf("endpoints %+v", eps)
	}
	want := map[string]string{"validator-0": "http://127.0.0.1:8545", "validator-3": "http://127.0.0.1:8548",
		"sequencer": "http://127.0.0.1:9545", "challenger": "http://127.0.0.1:9546"}
	for _, n := range eps.Nodes {
		if url, ok := want[n.Name]; ok && n.RPC != url {
			t.Errorf("%s at %s, want %s", n.Name, n.RPC, url)
		}
	}
	if params.ChallengeWindow != 30 || params.SequencingWindow != 20 {
		t.Errorf("windows %d/%d, want the devnet's 30/20", params.ChallengeWindow, params.SequencingWindow)
	}
}
