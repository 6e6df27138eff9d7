package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// startDevnet runs a real single-validator L1 node in-process, with the ten
// dev accounts funded with 10,000 ETH each, serving JSON-RPC on a loopback
// port. It returns the RPC URL; everything stops when the test ends.
func startDevnet(t *testing.T) string {
	t.Helper()
	net, err := memnet.New(memnet.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Close() })
	host, err := net.NewHost("v0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	key, err := crypto.ToECDSA(common.LeftPadBytes([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		t.Fatal(err)
	}
	gen := &genesis.Genesis{ChainID: 1337, Devnet: true, GasLimit: 30_000_000, Timestamp: uint64(time.Now().Unix()) - 10,
		Alloc:      map[common.Address]genesis.Account{},
		Validators: []genesis.Validator{{Address: crypto.PubkeyToAddress(key.PublicKey), Stake: genesis.Ether(100)}}}
	for _, a := range accounts {
		gen.Alloc[a.Address] = genesis.Account{Balance: genesis.Ether(10_000)}
	}
	gen.BlockTime.Duration = 200 * time.Millisecond
	gen.FillDefaults()
	if err := gen.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.New(node.Config{Genesis: gen, DB: memdb.New(), Network: host, ValidatorKey: key,
		SignerStore: signer.NewMemStore(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	srv, err := ethrpc.NewServer(n.RPCBackend(), logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("bilayer", n.API()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	url := "http://" + srv.Addr()
	waitForBlock(t, url, 1)
	return url
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
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
