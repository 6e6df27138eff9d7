package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/dashboard"
)

// composeFlag makes `devnet dashboard` watch the docker-compose devnet.
var composeFlag = &cli.BoolFlag{Name: "compose",
	Usage: "watch the docker-compose devnet at its published ports (validators 127.0.0.1:8545-8548, sequencer :9545, challenger :9546) instead of a local data directory"}

// dashboardCommand serves the dashboard alone, for a devnet that runs
// already: a local one (its endpoints.json) or the compose one.
func dashboardCommand() *cli.Command {
	return &cli.Command{
		Name:  "dashboard",
		Usage: "serve the dashboard for a devnet that is already running (a local one, or docker-compose's with --compose)",
		Description: `"devnet up" serves the dashboard itself; this command serves it alone, for a devnet started
elsewhere. Without --compose it reads <datadir>/endpoints.json and genesis.json of a local devnet;
with --compose it watches the docker-compose devnet at the ports docker-compose.yml publishes on
127.0.0.1, with the devnet genesis's parameters. The page reads only the nodes' public JSON-RPC
(through its same-origin /rpc/<node> proxy). Ctrl-C stops it.`,
		Flags:  []cli.Flag{datadirFlag, composeFlag, dashboardAddrFlag},
		Action: runDashboard,
	}
}

func runDashboard(c *cli.Context) error {
	var eps devnet.Endpoints
	var params devnet.ChainParams
	if c.Bool(composeFlag.Name) {
		var err error
		if eps, params, err = composeEndpoints(); err != nil {
			return err
		}
	} else {
		l := devnet.Layout{Dir: c.String(datadirFlag.Name)}
		var err error
		if eps, err = devnet.ReadEndpoints(l.EndpointsFile()); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("no devnet in %s (run \"devnet up\" first, or --compose for the docker-compose devnet): %w", l.Dir, err)
			}
			return err
		}
		if params, err = devnet.LoadChainParams(l); err != nil {
			return err
		}
	}
	addr := c.String(dashboardAddrFlag.Name)
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", dashboard.DefaultPort)
	}
	if err := dashboard.CheckLoopback(addr); err != nil {
		return fmt.Errorf("--%s: %w", dashboardAddrFlag.Name, err)
	}
	cfg, err := dashboard.FromEndpoints(eps, &params)
	if err != nil {
		return err
	}
	srv, err := dashboard.Listen(addr, cfg)
	if err != nil {
		return fmt.Errorf("serve the dashboard on %s: %w", addr, err)
	}
	go srv.Serve()
	defer srv.Close()
	fmt.Printf("devnet: dashboard at %s (%d nodes; Ctrl-C stops it)\n", srv.URL(), len(eps.Nodes))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// composeEndpoints are the docker-compose devnet's nodes at the ports its
// docker-compose.yml publishes (BILAYER_* overrides are not read), with the
// devnet genesis's parameters ("devnet generate --docker" writes them).
func composeEndpoints() (devnet.Endpoints, devnet.ChainParams, error) {
	g, err := devnet.NewGenesis([]common.Address{{1}}, common.Address{2}, 0)
	if err != nil {
		return devnet.Endpoints{}, devnet.ChainParams{}, err
	}
	eps := devnet.Endpoints{ChainID: g.ChainID, Datadir: filepath.Join("docker volume", "devnet")}
	if g.Rollup != nil {
		eps.L2ChainID = g.Rollup.L2ChainID
	}
	node := func(name, role string, port int, l1 string) devnet.Endpoint {
		return devnet.Endpoint{Name: name, Role: role, RPC: fmt.Sprintf("http://127.0.0.1:%d", port),
			WS: fmt.Sprintf("ws://127.0.0.1:%d", port), L1RPC: l1}
	}
	for i := range 4 {
		eps.Nodes = append(eps.Nodes, node(devnet.NodeName(i), devnet.RoleValidator, devnet.BaseRPCPort+i, ""))
	}
	eps.Nodes = append(eps.Nodes,
		node("sequencer", devnet.RoleSequencer, devnet.BaseL2RPCPort, fmt.Sprintf("http://127.0.0.1:%d", devnet.BaseRPCPort)),
		node("challenger", devnet.RoleChallenger, devnet.BaseChallengerRPCPort, fmt.Sprintf("http://127.0.0.1:%d", devnet.BaseRPCPort+1)))
	return eps, devnet.ChainParamsOf(g), nil
}
