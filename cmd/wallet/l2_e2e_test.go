package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node/nodetest"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/l2rpc"
	"github.com/bilayer/bilayer/rollup/sequencer"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/bilayer/bilayer/txpool"
	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/common"
)

// startL1L2 runs an in-process L1 node with the devnet's rollup section
// (the dev accounts funded on both layers) and an in-process sequencer
// following it, wired as "sequencer run" wires them. It returns both RPC
// URLs; everything stops when the test ends.
func startL1L2(t *testing.T) (l1URL, l2URL string) {
	t.Helper()
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		t.Fatal(err)
	}
	alloc := map[common.Address]int64{}
	for _, a := range accounts {
		alloc[a.Address] = 10_000
	}
	seqAddr := common.HexToAddress("0x5e9")
	var g *genesis.Genesis
	node := nodetest.Start(t, alloc, func(gen *genesis.Genesis) {
		gen.Rollup = devnet.NewRollup(seqAddr, accounts)
		gen.Alloc[bridge.Address] = genesis.Account{Balance: genesis.NewAmount(gen.Rollup.L2Prefund())}
		g = gen
	})

	ctx, cancel := context.WithCancel(context.Background())
	client, err := l1.Dial(ctx, node.URL)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := client.BlockRef(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := rollupconfig.FromGenesis(g, ref.Hash)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	chain, err := l2chain.Open(memdb.New(), cfg.ExecutionConfig(), nil,
		l2chain.Genesis{Alloc: cfg.L2GenesisAlloc(), Block: cfg.L2GenesisBlock}, log)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := sequencer.NewPool(txpool.DefaultConfig(), chain)
	if err != nil {
		t.Fatal(err)
	}
	scfg := sequencer.DefaultConfig()
	scfg.BlockTime, scfg.MaxOriginLag = cfg.L2BlockTime, cfg.MaxOriginLag
	seq := sequencer.New(scfg, chain, pool, sequencer.RPCL1{Client: client}, nil, log)
	srv, err := ethrpc.NewServer(l2rpc.NewBackend(chain, pool, nil, seq.Notify, "test"), log)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("rollup", sequencer.NewRollupAPI(chain, seq, nil)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- seq.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		stop, stopCancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer stopCancel()
		srv.Stop(stop)
		chain.Close()
		client.Close()
	})
	return node.URL, "http://" + srv.Addr()
}

// On the L2: a transfer signed for the chain id the sequencer reports
// (1338) succeeds, its receipt shows the L1 data fee beside the gas fee,
// and balance and tx read the L2 with --layer l2 (and with --rpc on the
// command line instead of --l2-rpc).
func TestL2TransferShowsTheL1DataFee(t *testing.T) {
	l1URL, l2URL := startL1L2(t)
	r := runWallet(t, nil, "--rpc", l1URL, "--l2-rpc", l2URL, "--layer", "l2", "--dev-account", "3", "--json",
		"transfer", "--to", dead, "--amount", "2")
	if r.code != 0 {
		t.Fatalf("L2 transfer: exit %d: %s", r.code, r.stderr)
	}
	var sum wallet.TxSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Status != wallet.StatusSuccess || sum.Receipt == nil || sum.Receipt.L1Fee == "" || sum.Receipt.L1Fee == "0" {
		t.Fatalf("L2 receipt without an L1 data fee: %s", r.stdout)
	}
	gas, _ := new(big.Int).SetString(sum.Receipt.Fee, 10)
	l1Fee, _ := new(big.Int).SetString(sum.Receipt.L1Fee, 10)
	if total, _ := new(big.Int).SetString(sum.Receipt.TotalFee, 10); total == nil || total.Cmp(new(big.Int).Add(gas, l1Fee)) != 0 {
		t.Fatalf("total fee %s != %s + %s", sum.Receipt.TotalFee, sum.Receipt.Fee, sum.Receipt.L1Fee)
	}
	tx := runWallet(t, nil, "--layer", "l2", "--rpc", l2URL, "tx", sum.Hash.Hex())
	if tx.code != 0 || !strings.Contains(tx.stdout, "L1 data fee") || !strings.Contains(tx.stdout, "status     success") {
		t.Fatalf("tx on L2 (--rpc names the L2 node): %+v", tx)
	}
	if l1tx := runWallet(t, nil, "--rpc", l1URL, "tx", sum.Hash.Hex()); l1tx.code == 0 || !strings.Contains(l1tx.stderr, "--layer") {
		t.Fatalf("the L2 transaction found on L1: %+v", l1tx)
	}
	bal := runWallet(t, nil, "--l2-rpc", l2URL, "--layer", "l2", "balance", dead)
	if bal.code != 0 || bal.stdout != dead+": 2 ETH\n" {
		t.Fatalf("L2 balance %+v", bal)
	}
	if bal := runWallet(t, nil, "--rpc", l1URL, "balance", dead); bal.stdout != dead+": 0 ETH\n" {
		t.Fatalf("L1 balance moved: %+v", bal)
	}
}

// A deposit: one L1 transaction, then the wait until the sequencer applies
// it, after which the recipient holds it on L2; --no-wait returns after
// the L1 receipt and deposit-status finds it.
func TestDepositIsAppliedOnL2(t *testing.T) {
	l1URL, l2URL := startL1L2(t)
	r := runWallet(t, nil, "--rpc", l1URL, "--l2-rpc", l2URL, "--dev-account", "5", "--json",
		"deposit", "--amount", "3", "--to", dead, "--timeout", "20s")
	if r.code != 0 {
		t.Fatalf("deposit: exit %d: %s", r.code, r.stderr)
	}
	var d wallet.DepositSummary
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	if d.Status != wallet.DepositApplied || d.L2Block == nil || *d.L2Block == 0 || d.To.Hex() != dead ||
		d.Amount != "3000000000000000000" || d.L1Tx == nil || !d.L1Tx.Succeeded() || d.L1Tx.Receipt.BlockNumber != d.L1Block {
		t.Fatalf("deposit summary %s", r.stdout)
	}
	if bal := runWallet(t, nil, "--l2-rpc", l2URL, "--layer", "l2", "balance", dead); bal.stdout != dead+": 3 ETH\n" {
		t.Fatalf("L2 balance after the deposit: %+v", bal)
	}

	// --no-wait, to the sender itself by default, in text.
	nw := runWallet(t, nil, "--rpc", l1URL, "--l2-rpc", l2URL, "--dev-account", "6", "deposit", "--amount", "1", "--no-wait")
	if nw.code != 0 || !strings.Contains(nw.stdout, "included on L1") {
		t.Fatalf("deposit --no-wait: %+v", nw)
	}
	dev6, _ := wallet.DevAccount(6)
	if !strings.Contains(nw.stdout, "to "+dev6.Address.Hex()+" (L2)") {
		t.Fatalf("--to did not default to the sender: %s", nw.stdout)
	}
	var block, index string
	for _, line := range strings.Split(nw.stdout, "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[0] == "id" {
			block, index = strings.TrimSuffix(f[3], ","), f[5]
		}
	}
	waitFor(t, 20*time.Second, "deposit-status applied", func() bool {
		st := runWallet(t, nil, "--l2-rpc", l2URL, "deposit-status", block, index)
		return st.code == 0 && strings.Contains(st.stdout, "applied in L2 block")
	})
}

// Deposit refuses what it cannot do before anything is sent.
func TestDepositRefusals(t *testing.T) {
	l1URL, _ := startL1L2(t)
	down := closedPortURL(t)
	r := runWallet(t, nil, "--rpc", l1URL, "--l2-rpc", down, "--dev-account", "7", "deposit", "--amount", "1")
	if r.code == 0 || !strings.Contains(r.stderr, "--no-wait") || !strings.Contains(r.stderr, "cannot reach the node at "+down) {
		t.Fatalf("deposit with the L2 down: %+v", r)
	}
	// --l2-rpc pointing at the L1 is not an L2.
	r = runWallet(t, nil, "--rpc", l1URL, "--l2-rpc", l1URL, "--dev-account", "7", "deposit", "--amount", "1")
	if r.code == 0 || !strings.Contains(r.stderr, "not an L2 sequencer") {
		t.Fatalf("deposit with --l2-rpc at the L1: %+v", r)
	}
	for args, want := range map[string]string{
		"--layer l2 deposit --amount 1": "--layer does not apply",
		"deposit --amount 0":            "more than 0 ETH",
		"deposit --amount 1 --to 0x12":  "is not an address",
	} {
		r := runWallet(t, nil, append([]string{"--rpc", l1URL, "--l2-rpc", down, "--dev-account", "7"}, strings.Fields(args)...)...)
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: %+v, want %q", args, r, want)
		}
	}
	assertNonce(t, l1URL, wallet.Account{Address: mustDev(t, 7)}, 0)
}

func mustDev(t *testing.T, i int) common.Address {
	t.Helper()
	s, err := wallet.DevAccount(i)
	if err != nil {
		t.Fatal(err)
	}
	return s.Address
}
