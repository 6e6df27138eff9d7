package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/node/nodetest"
)

// runApp runs the challenger command line with args, returning its
// output.
func runApp(args ...string) (string, error) {
	var out bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(append([]string{"challenger"}, args...))
	return out.String(), err
}

// flagsOf returns the flags of the named command.
func flagsOf(t *testing.T, name string) []cli.Flag {
	t.Helper()
	for _, c := range newApp().Commands {
		if c.Name == name {
			return c.Flags
		}
	}
	t.Fatalf("no %s command", name)
	return nil
}

func TestHelpExplainsEveryFlagWithItsEnvVar(t *testing.T) {
	for _, cmd := range []string{"init", "run"} {
		out, err := runApp(cmd, "--help")
		if err != nil {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		for _, f := range flagsOf(t, cmd) {
			name := f.Names()[0]
			if !strings.Contains(out, "--"+name) {
				t.Errorf("%s --help does not mention --%s:\n%s", cmd, name, out)
			}
			ev, ok := f.(interface{ GetEnvVars() []string })
			if !ok || len(ev.GetEnvVars()) == 0 {
				t.Errorf("%s --%s has no environment variable", cmd, name)
				continue
			}
			for _, e := range ev.GetEnvVars() {
				if !strings.Contains(out, "$"+e) {
					t.Errorf("%s --help does not show $%s for --%s", cmd, e, name)
				}
			}
			if u, ok := f.(interface{ GetUsage() string }); !ok || len(u.GetUsage()) < 20 {
				t.Errorf("%s --%s is not explained", cmd, name)
			}
		}
	}
	out, err := runApp("--help")
	if err != nil || !strings.Contains(out, "never to the sequencer") || !strings.Contains(out, "9546") {
		t.Fatalf("challenger --help (err %v) does not say what the challenger does:\n%s", err, out)
	}
}

// devGenesis writes a devnet genesis with a rollup section to dir.
func devGenesis(t *testing.T, dir string, edit func(*genesis.Genesis)) string {
	t.Helper()
	g, err := devnet.NewGenesis([]common.Address{common.HexToAddress("0x1000000000000000000000000000000000000001")},
		common.HexToAddress("0x5e00000000000000000000000000000000000005"), 1_700_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(g)
	}
	path := filepath.Join(dir, "genesis.json")
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInitCopiesTheGenesisOnce(t *testing.T) {
	dir := t.TempDir()
	gen := devGenesis(t, dir, nil)
	data := filepath.Join(dir, "data")
	out, err := runApp("init", "--datadir", data, "--genesis", gen)
	if err != nil || !strings.Contains(out, "L2 chain id 1338") {
		t.Fatalf("init: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(gen)
	if got, err := os.ReadFile(filepath.Join(data, genesisFile)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the data directory's genesis differs from %s (err %v)", gen, err)
	}
	if _, err := runApp("init", "--datadir", data, "--genesis", gen); err != nil {
		t.Fatalf("init again with the same genesis: %v", err)
	}
	other := devGenesis(t, t.TempDir(), func(g *genesis.Genesis) { g.Rollup.ChallengeWindow++ })
	if _, err := runApp("init", "--datadir", data, "--genesis", other); err == nil || !strings.Contains(err.Error(), "another genesis") {
		t.Fatalf("init with another genesis: %v", err)
	}
	l1Only := devGenesis(t, t.TempDir(), func(g *genesis.Genesis) {
		g.Rollup = nil
		delete(g.Alloc, bridge.Address)
		delete(g.Alloc, common.HexToAddress("0x5e00000000000000000000000000000000000005"))
	})
	if _, err := runApp("init", "--datadir", t.TempDir(), "--genesis", l1Only); err == nil || !strings.Contains(err.Error(), "no rollup section") {
		t.Fatalf("init with an L1-only genesis: %v", err)
	}
	if _, err := runApp("init", "--datadir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "--genesis is required") {
		t.Fatalf("init without --genesis: %v", err)
	}
}

func TestRunSaysWhatIsMissing(t *testing.T) {
	if _, err := runApp("run", "--datadir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "challenger init") {
		t.Fatalf("run without a genesis: %v", err)
	}
	gen := devGenesis(t, t.TempDir(), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	start := time.Now()
	_, err = runApp("run", "--datadir", t.TempDir(), "--genesis", gen, "--l1.rpc", closed, "--l1.wait", "1s", "--rpc.addr", "", "--log.level", "error")
	if err == nil || !strings.Contains(err.Error(), "did not answer within 1s") {
		t.Fatalf("run against a closed L1 port: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("giving up on the L1 took %s", d)
	}
	if _, err := runApp("run", "--datadir", t.TempDir(), "--genesis", gen, "--poll-interval", "0s"); err == nil {
		t.Fatal("run accepted --poll-interval 0s")
	}
}

// syncStatus is the part of rollup_syncStatus the run test reads.
type syncStatus struct {
	SafeL2 struct {
		Number hexutil.Uint64 `json:"number"`
	} `json:"safeL2"`
	HeadL1       hexutil.Uint64 `json:"headL1"`
	Verification struct {
		CheckedL2         hexutil.Uint64  `json:"checkedL2"`
		Agreed            hexutil.Uint64  `json:"agreed"`
		FirstDisagreement json.RawMessage `json:"firstDisagreement"`
	} `json:"verification"`
}

// TestRunDerivesFromTheL1AloneAndResumes runs "challenger run" in-process
// against an in-process L1 with a rollup but no sequencer: once the
// sequencing window of an origin passes with no batch, the challenger
// derives deposit-only blocks, so a deposit made on the L1 is credited on
// its L2 chain; its read-only RPC answers the L2 chain id, the safe tag
// (its derived head) and rollup_syncStatus (nothing posted, nothing
// checked, no disagreement), and refuses transactions; SIGINT stops it
// cleanly, and a second run on the same data directory resumes derivation
// where the first stopped with the same blocks.
func TestRunDerivesFromTheL1AloneAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an L1 node and the challenger for seconds")
	}
	seqKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	genPath := filepath.Join(dir, "genesis.json")
	l1 := nodetest.Start(t, nil, func(g *genesis.Genesis) {
		dg, err := devnet.NewGenesis([]common.Address{g.Validators[0].Address}, crypto.PubkeyToAddress(seqKey.PublicKey), g.Timestamp)
		if err != nil {
			t.Fatal(err)
		}
		g.Rollup = dg.Rollup
		g.Rollup.SequencingWindow, g.Rollup.ChallengeWindow = 4, 4
		for a, acc := range dg.Alloc {
			if a != g.Validators[0].Address {
				g.Alloc[a] = acc
			}
		}
	})
	if err := l1.Genesis.Save(genPath); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "challenger")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A deposit on the L1: with no sequencer, only derivation applies it.
	dev, err := devkeys.Get(0)
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000d0d0d")
	amount := big.NewInt(3e15)
	l1c, err := ethclient.DialContext(ctx, l1.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer l1c.Close()
	depositBlock := sendDeposit(t, ctx, l1c, dev, to, amount)

	first := startRun(t, data, genPath, l1.URL)
	c := first.client(t, ctx)
	if id, err := c.ChainID(ctx); err != nil || id.Uint64() != 1338 {
		t.Fatalf("chain id %v (err %v), want 1338", id, err)
	}
	var st syncStatus
	cluster.Await(t, 30*time.Second, func() error {
		bal, err := c.BalanceAt(ctx, to, nil)
		if err == nil && bal.Cmp(amount) == 0 {
			return nil
		}
		return fmt.Errorf("the deposit of L1 block %d is not credited on the challenger's chain (balance %v, err %v)", depositBlock, bal, err)
	})
	if err := c.Client().CallContext(ctx, &st, "rollup_syncStatus"); err != nil {
		t.Fatal(err)
	}
	if st.SafeL2.Number == 0 || st.Verification.Agreed != 0 || st.Verification.CheckedL2 != 0 || string(st.Verification.FirstDisagreement) != "null" {
		t.Fatalf("rollup_syncStatus %+v: want derived blocks, nothing checked, no disagreement", st)
	}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if head.TxHash != types.EmptyTxsHash {
		t.Fatalf("a deposit-only block has transactions (tx root %s)", head.TxHash)
	}
	var safe struct {
		Number hexutil.Uint64 `json:"number"`
	}
	if err := c.Client().CallContext(ctx, &safe, "eth_getBlockByNumber", "safe", false); err != nil || uint64(safe.Number) < head.Number.Uint64() {
		t.Fatalf("safe tag %d (err %v), derived head %d", safe.Number, err, head.Number)
	}
	tx, err := types.SignNewTx(dev.Key, types.LatestSignerForChainID(big.NewInt(1338)),
		&types.DynamicFeeTx{ChainID: big.NewInt(1338), Gas: 21_000, GasFeeCap: big.NewInt(1e10), To: &to, Value: big.NewInt(1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendTransaction(ctx, tx); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a transaction sent to the challenger: %v", err)
	}
	stoppedAt := head.Number.Uint64()
	stoppedHash := head.Hash()
	first.stop(t)

	second := startRun(t, data, genPath, l1.URL)
	c = second.client(t, ctx)
	if h, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(stoppedAt)); err != nil || h.Hash() != stoppedHash {
		t.Fatalf("after the restart block %d is %v (err %v), was %s", stoppedAt, h, err, stoppedHash)
	}
	cluster.Await(t, 20*time.Second, func() error {
		n, err := c.BlockNumber(ctx)
		if err == nil && n > stoppedAt {
			return nil
		}
		return fmt.Errorf("the restarted challenger does not derive past block %d (head %d, err %v)", stoppedAt, n, err)
	})
	second.stop(t)
	if !strings.Contains(second.logs(), "Verifier resumes") || strings.Contains(second.logs(), "l1=1 ") {
		t.Fatalf("the second run did not resume past L1 block 1:\n%s", second.logs())
	}
}

// sendDeposit deposits amount to `to` from dev through the L1 bridge and
// returns the L1 block that holds it.
func sendDeposit(t *testing.T, ctx context.Context, c *ethclient.Client, dev devkeys.Account, to common.Address, amount *big.Int) uint64 {
	t.Helper()
	nonce, err := c.PendingNonceAt(ctx, dev.Address)
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tip := big.NewInt(1e9)
	tx, err := types.SignNewTx(dev.Key, types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{ChainID: big.NewInt(1337),
		Nonce: nonce, GasTipCap: tip, GasFeeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip), Gas: 200_000,
		To: &bridge.Address, Value: amount, Data: bridge.PackDeposit(to)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var r *types.Receipt
	cluster.Await(t, 20*time.Second, func() error {
		var err error
		if r, err = c.TransactionReceipt(ctx, tx.Hash()); err != nil {
			return fmt.Errorf("no receipt for the deposit: %w", err)
		}
		return nil
	})
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("deposit failed on the L1")
	}
	return r.BlockNumber.Uint64()
}

// run is "challenger run" running in-process.
type run struct {
	rpc    string
	log    *os.File
	exited chan struct{} // closed when the command returned
	err    error         // what it returned; read after exited
}

// startRun starts "challenger run" in this process on a free port, its
// log in a file, with extra arguments added.
func startRun(t *testing.T, data, genPath, l1URL string, extra ...string) *run {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.CreateTemp(t.TempDir(), "challenger-*.log")
	if err != nil {
		t.Fatal(err)
	}
	r := &run{rpc: "http://" + addr, log: logFile, exited: make(chan struct{})}
	// The logger writes to stderr: point it at the file for this run.
	stderr := os.Stderr
	os.Stderr = logFile
	t.Cleanup(func() { os.Stderr = stderr })
	go func() {
		defer close(r.exited)
		_, r.err = runApp(append([]string{"run", "--datadir", data, "--genesis", genPath, "--l1.rpc", l1URL, "--rpc.addr", addr,
			"--poll-interval", "100ms"}, extra...)...)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// client waits until the run's RPC answers and returns a client.
func (r *run) client(t *testing.T, ctx context.Context) *ethclient.Client {
	t.Helper()
	var c *ethclient.Client
	err := cluster.Eventually(20*time.Second, func() error {
		select {
		case <-r.exited:
			return fmt.Errorf("challenger run exited: %v", r.err)
		default:
		}
		cc, err := ethclient.DialContext(ctx, r.rpc)
		if err != nil {
			return err
		}
		if _, err = cc.ChainID(ctx); err != nil {
			cc.Close()
			return err
		}
		c = cc
		return nil
	})
	if err != nil {
		t.Fatalf("the challenger's RPC at %s does not answer: %v\n%s", r.rpc, err, r.logs())
	}
	t.Cleanup(c.Close)
	return c
}

// stop sends SIGINT (which the running command has claimed) and waits for
// a clean exit; it does nothing once the command returned (the signal
// would then stop the test process).
func (r *run) stop(t *testing.T) {
	t.Helper()
	select {
	case <-r.exited:
		return
	default:
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.exited:
		if r.err != nil {
			t.Fatalf("challenger run exited with %v after SIGINT\n%s", r.err, r.logs())
		}
		if !strings.Contains(r.logs(), "Shutting down") {
			t.Fatalf("no clean shutdown in the log:\n%s", r.logs())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("challenger run still running 20s after SIGINT\n%s", r.logs())
	}
}

func (r *run) logs() string {
	data, err := os.ReadFile(r.log.Name())
	if err != nil {
		return fmt.Sprintf("(log: %v)", err)
	}
	return string(data)
}
