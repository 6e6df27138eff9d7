package node

import (
	"math/big"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// TestProposersBuildAheadBehindABacklog gives four validators half a block
// of transfers (a gas limit of 20), then a backlog of full blocks (120
// pooled): no block is built ahead for the first, and for the backlog the
// proposers of the next heights build their blocks before the current ones
// are decided; every transfer commits once, and every node holds the same
// chain.
func TestProposersBuildAheadBehindABacklog(t *testing.T) {
	c := newMemClusterWith(t, 4, func(g *genesis.Genesis) { g.GasLimit = 20 * 21_000 })
	for i := range 4 {
		c.start(i, memdb.New())
	}
	waitFor(t, 30*time.Second, "height 2 on every node", func() bool {
		for _, n := range c.nodes {
			if n.Chain().Head().Number() < 2 {
				return false
			}
		}
		return true
	})
	const light, transfers = 10, 130
	var last *types.Transaction
	send := func(from, until uint64) {
		t.Helper()
		last = c.sendTransfers(t, 0, from, until)
	}
	committed := func() bool {
		for _, n := range c.nodes {
			if _, err := n.Chain().TxLocation(last.Hash()); err != nil {
				return false
			}
		}
		return true
	}
	builtAhead := func() (sum uint64) {
		for _, n := range c.nodes {
			sum += n.builtAhead.Load()
		}
		return sum
	}
	// Half a block: no backlog, nothing is built ahead.
	send(0, light)
	waitFor(t, 30*time.Second, "the light load on every node", committed)
	if n := builtAhead(); n != 0 {
		t.Fatalf("%d blocks built ahead without a backlog", n)
	}
	send(light, transfers)
	waitFor(t, 60*time.Second, "every transfer on every node", committed)
	ahead := builtAhead()
	if ahead == 0 {
		t.Fatal("no proposer built a block ahead behind a backlog of full blocks")
	}
	head := c.nodes[0].Chain().Head().Number()
	for _, n := range c.nodes[1:] {
		head = min(head, n.Chain().Head().Number())
	}
	included := 0
	for h := uint64(1); h <= head; h++ {
		want, err := c.nodes[0].Chain().BlockByNumber(h)
		if err != nil {
			t.Fatal(err)
		}
		included += len(want.Transactions)
		for i, n := range c.nodes[1:] {
			if got, err := n.Chain().BlockByNumber(h); err != nil || got.Hash() != want.Hash() {
				t.Fatalf("node %d holds another block at height %d", i+1, h)
			}
		}
	}
	if included != transfers {
		t.Fatalf("%d transfers in the chain, want %d", included, transfers)
	}
	st, err := c.nodes[3].Chain().HeadState()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.GetBalance(common.HexToAddress("0xdead")).Uint64(); got != transfers {
		t.Fatalf("recipient holds %d wei, want %d", got, transfers)
	}
	t.Logf("%d of the blocks up to height %d were built ahead", ahead, head)
}

// TestAheadFillGivesABuildItsFillTime: a block built ahead fills until its
// deadline, and past it for at least the fill time counted from the end of
// its first transaction, however long that one waited (for the parent's
// staging or flush): it stops at the deadline only when it has filled that
// long already. Once its height has started (stopBy), it stops at the time
// stopBy names, whatever the rest says.
func TestAheadFillGivesABuildItsFillTime(t *testing.T) {
	const fill = 250 * time.Millisecond
	t0 := time.Unix(1_000, 0)
	deadline := t0.Add(time.Second)
	type ask struct {
		at   time.Duration // after t0
		want bool
		stop time.Duration // if set, stopBy(t0 + stop) before asking
	}
	check := func(what string, asks ...ask) {
		t.Helper()
		var now time.Time
		f := newAheadFill(deadline, fill, func() time.Time { return now })
		for _, a := range asks {
			if a.stop != 0 {
				f.stopBy(t0.Add(a.stop))
			}
			now = t0.Add(a.at)
			if got := f.enough(); got != a.want {
				t.Fatalf("%s, asked at %s: enough %v, want %v", what, a.at, got, a.want)
			}
		}
	}
	// The first transaction starts before the deadline and ends after it,
	// 1.2 s later: 250 ms more of filling from then on.
	check("a build whose first transaction ended after the deadline",
		ask{at: 0, want: false}, ask{at: 1200 * time.Millisecond, want: false}, ask{at: 1400 * time.Millisecond, want: false}, ask{at: 1450 * time.Millisecond, want: true})
	// A build filling since well before the deadline stops at it.
	check("a build filling since before the deadline",
		ask{at: 0, want: false}, ask{at: 10 * time.Millisecond, want: false}, ask{at: 900 * time.Millisecond, want: false}, ask{at: 1001 * time.Millisecond, want: true})
	// Its height starts at 500 ms, long before the deadline: filling stops
	// a fill time later.
	check("a build whose height started",
		ask{at: 0, want: false}, ask{at: 10 * time.Millisecond, want: false}, ask{at: 500 * time.Millisecond, want: false, stop: 750 * time.Millisecond},
		ask{at: 749 * time.Millisecond, want: false}, ask{at: 750 * time.Millisecond, want: true})
	// The same for a build still waiting for its first transaction.
	check("a build whose first transaction ended after its height started",
		ask{at: 0, want: false, stop: 250 * time.Millisecond}, ask{at: 300 * time.Millisecond, want: true})
}

// TestBlockBuiltAheadStopsFillingWhenItsHeightStarts: a block built ahead
// whose deadline is far off (counted from a slow execution of its parent)
// stops filling by half the propose timeout after its height starts, and
// takeAhead proposes what it holds then, instead of waiting for the
// deadline.
func TestBlockBuiltAheadStopsFillingWhenItsHeightStarts(t *testing.T) {
	h := newDriverHarnessWith(t, func(g *genesis.Genesis) { g.GasLimit = 20 * 21_000 })
	h.start(h.proposerOf(1, 0), memdb.New(), nil)
	poolTransfers(t, h, 20)
	ex, err := h.n.chain.Build(chain.BuildParams{Proposer: h.addr(h.proposerOf(1, 0)), Time: uint64(time.Now().Unix())},
		h.n.pool.Executable(h.n.chain.NextBaseFee(h.n.chain.Head().Header)))
	if err != nil {
		t.Fatal(err)
	}
	// The build fills until its deadline, an hour away: it asks Enough
	// before each transaction, here one transaction a millisecond.
	a := &aheadBuild{height: 1, parent: h.n.chain.Head().Hash(), done: make(chan struct{}),
		fill: newAheadFill(time.Now().Add(time.Hour), h.d.budget.fillTime(), time.Now)}
	txTick := time.NewTicker(time.Millisecond)
	defer txTick.Stop()
	go func() {
		defer close(a.done)
		for !a.fill.enough() {
			<-txTick.C
		}
		a.ex = ex
	}()
	h.d.ahead = a
	taken := make(chan *chain.Executed, 1)
	go func() {
		got, _ := h.d.takeAhead(1, 0, nil)
		taken <- got
	}()
	select {
	case got := <-taken:
		if got == nil || got.Block.Hash() != ex.Block.Hash() {
			t.Fatal("the block built ahead was not proposed")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("takeAhead still waits for a build whose deadline is an hour away, 30 s after its height started")
	}
}

// TestSmallBlockBuiltAheadIsBuiltAgain: behind a backlog (30 transfers
// pooled, blocks of at most 20 by the gas limit, below the gas target), a
// block built ahead with less than half a full block (one transfer: its
// filling stalled) is dropped and the proposer builds again; one with
// half or more is proposed as built.
func TestSmallBlockBuiltAheadIsBuiltAgain(t *testing.T) {
	h := newDriverHarnessWith(t, func(g *genesis.Genesis) { g.GasLimit = 20 * 21_000 })
	h.start(h.proposerOf(1, 0), memdb.New(), nil)
	poolTransfers(t, h, 30)
	genesisHash := h.n.chain.Head().Hash()
	builtAhead := func(transfers int) *chain.Executed {
		t.Helper()
		ex, err := h.n.chain.Build(chain.BuildParams{Proposer: h.addr(h.proposerOf(1, 0)), Time: uint64(time.Now().Unix()),
			MaxGas: uint64(transfers) * 21_000}, h.n.pool.Executable(h.n.chain.NextBaseFee(h.n.chain.Head().Header)))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		close(done)
		h.d.ahead = &aheadBuild{height: 1, parent: genesisHash, done: done, ex: ex}
		return ex
	}
	builtAhead(1)
	if ex, _ := h.d.takeAhead(1, 0, nil); ex != nil {
		t.Fatal("a block of 1 transfer built ahead behind a backlog was proposed")
	}
	want := builtAhead(10)
	if ex, _ := h.d.takeAhead(1, 0, nil); ex == nil || len(ex.Block.Transactions) != len(want.Block.Transactions) {
		t.Fatal("a block built ahead with half a full block was not proposed")
	}
}

// poolTransfers pools count transfers from the harness's user, nonces 0 on.
func poolTransfers(t *testing.T, h *driverHarness, count uint64) {
	t.Helper()
	addToPool(t, h.n, userTransfers(t, h, count))
}

// userTransfers signs count transfers from the harness's user, nonces 0 on.
func userTransfers(t *testing.T, h *driverHarness, count uint64) types.Transactions {
	t.Helper()
	signer := types.LatestSignerForChainID(big.NewInt(int64(h.c.gen.ChainID)))
	to := common.HexToAddress("0xdead")
	var txs types.Transactions
	for nonce := range count {
		tx, err := types.SignNewTx(h.c.user, signer, &types.DynamicFeeTx{ChainID: signer.ChainID(), Nonce: nonce,
			GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 21000, To: &to, Value: big.NewInt(1)})
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	return txs
}

// addToPool pools txs in n's pool.
func addToPool(t *testing.T, n *Node, txs types.Transactions) {
	t.Helper()
	for i, err := range n.pool.Add(txs...) {
		if err != nil {
			t.Fatalf("pool transfer %d: %v", i, err)
		}
	}
}
