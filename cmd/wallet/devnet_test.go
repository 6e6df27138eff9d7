package main

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/nodetest"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// startDevnet runs a real single-validator L1 node in-process, with the ten
// dev accounts funded with 10,000 ETH each, serving JSON-RPC on a loopback
// port. It returns the RPC URL; everything stops when the test ends.
func startDevnet(t *testing.T) string {
	t.Helper()
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		t.Fatal(err)
	}
	alloc := map[common.Address]int64{}
	for _, a := range accounts {
		alloc[a.Address] = 10_000
	}
	return nodetest.Start(t, alloc, nil).URL
}

// waitForBlock waits until the node at url has committed block h.
func waitForBlock(t *testing.T, url string, h uint64) {
	t.Helper()
	c, err := ethclient.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, 20*time.Second, "block "+big.NewInt(int64(h)).String(), func() bool {
		n, err := c.BlockNumber(context.Background())
		return err == nil && n >= h
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	waitfor.Until(t, timeout, func() error {
		if !cond() {
			return fmt.Errorf("waiting for %s", what)
		}
		return nil
	})
}

// result is one in-process run of the wallet.
type result struct {
	code           int
	stdout, stderr string
}

// runWallet runs the wallet app in-process with args (without the program
// name), an empty stdin and the environment env.
func runWallet(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, append([]string{"wallet"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errOut}, getenv)
	t.Logf("wallet %s -> exit %d\nstdout:\n%sstderr:\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}
