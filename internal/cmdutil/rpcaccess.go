package cmdutil

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/ethrpc"
)

// RPCAccessFlags returns the --rpc.cors and --rpc.vhosts flags of a binary
// whose JSON-RPC is called what ("JSON-RPC", "L2 JSON-RPC"): the browser
// origins it serves and the host names it answers to, both defaulting to
// this machine (ethrpc.DefaultCORS, ethrpc.DefaultVHosts).
func RPCAccessFlags(what string) (cors, vhosts *cli.StringSliceFlag) {
	cors = &cli.StringSliceFlag{Name: "rpc.cors",
		Usage: "browser origins allowed to call the " + what + " (CORS over HTTP, the Origin of a WebSocket): * for any, a host (any scheme and port) or scheme://host[:port]; the default allows pages served from this machine only",
		Value: cli.NewStringSlice(ethrpc.DefaultCORS...), EnvVars: []string{"BILAYER_RPC_CORS"}}
	vhosts = &cli.StringSliceFlag{Name: "rpc.vhosts",
		Usage: "host names the " + what + " answers to (the Host header; IP addresses always work), against DNS rebinding; * for any (needed when clients reach it by another name, as in docker compose)",
		Value: cli.NewStringSlice(ethrpc.DefaultVHosts...), EnvVars: []string{"BILAYER_RPC_VHOSTS"}}
	return cors, vhosts
}

// RPCAccess reads the flags RPCAccessFlags made, flattening comma-separated
// values given in one flag or environment variable.
func RPCAccess(c *cli.Context) (cors, vhosts []string) {
	return SplitList(c.StringSlice("rpc.cors")), SplitList(c.StringSlice("rpc.vhosts"))
}

// SplitList flattens comma-separated values given in one flag or env var,
// dropping empty ones.
func SplitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
