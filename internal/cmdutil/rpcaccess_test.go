package cmdutil

import (
	"slices"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/ethrpc"
)

// TestRPCAccessFlags: the defaults are this machine's names, and repeated
// or comma-separated values are flattened with blanks dropped.
func TestRPCAccessFlags(t *testing.T) {
	run := func(args ...string) (cors, vhosts []string) {
		t.Helper()
		c, v := RPCAccessFlags("JSON-RPC")
		app := &cli.App{Flags: []cli.Flag{c, v}, Action: func(ctx *cli.Context) error {
			cors, vhosts = RPCAccess(ctx)
			return nil
		}}
		if err := app.Run(append([]string{"x"}, args...)); err != nil {
			t.Fatal(err)
		}
		return cors, vhosts
	}
	cors, vhosts := run()
	if !slices.Equal(cors, ethrpc.DefaultCORS) || !slices.Equal(vhosts, ethrpc.DefaultVHosts) {
		t.Errorf("defaults: cors %v vhosts %v, want %v %v", cors, vhosts, ethrpc.DefaultCORS, ethrpc.DefaultVHosts)
	}
	cors, vhosts = run("--rpc.cors", "a.example, b.example,", "--rpc.cors", "http://c:8080", "--rpc.vhosts", "*")
	if want := []string{"a.example", "b.example", "http://c:8080"}; !slices.Equal(cors, want) {
		t.Errorf("cors %v, want %v", cors, want)
	}
	if want := []string{"*"}; !slices.Equal(vhosts, want) {
		t.Errorf("vhosts %v, want %v", vhosts, want)
	}
}
