package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// driverHarness runs one node's driver by hand: no loop goroutine and no
// peers, the test hands events to the driver in the order a fault needs
// (the interleavings the real network produces only by chance). A second
// node, src, builds and certifies the blocks "the other validators"
// decided, signing with their keys.
type driverHarness struct {
	t   *testing.T
	c   *memCluster
	src *Node
	n   *Node
	d   *driver
	ctx context.Context
	// stops stop the nodes made, once each.
	stops map[*Node]func()
}

func newDriverHarness(t *testing.T) *driverHarness {
	t.Helper()
	return newDriverHarnessWith(t, nil)
}

// newDriverHarnessWith lets a test change the genesis of the four
// validators.
func newDriverHarnessWith(t *testing.T, mutate func(*genesis.Genesis)) *driverHarness {
	t.Helper()
	c := newMemClusterWith(t, 4, mutate)
	h := &driverHarness{t: t, c: c, stops: make(map[*Node]func())}
	h.src = h.newNode(-1, memdb.New(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h.ctx = ctx
	return h
}

// newNode makes (does not start) a node: validator i, or a full node for
// i < 0.
func (h *driverHarness) newNode(i int, db store.Store, guard *signer.MemStore) *Node {
	h.t.Helper()
	host, err := h.c.net.NewHost(p2p.PeerID(fmt.Sprintf("harness-%d-%d", i, len(h.c.hosts))))
	if err != nil {
		h.t.Fatal(err)
	}
	h.c.hosts = append(h.c.hosts, host)
	cfg := Config{Genesis: h.c.gen, DB: db, Network: host,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	if i >= 0 {
		if guard == nil {
			guard = signer.NewMemStore()
		}
		cfg.ValidatorKey, cfg.SignerStore = h.c.keys[i], guard
	}
	n, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	stop := sync.OnceFunc(n.Stop)
	h.stops[n] = stop
	h.t.Cleanup(stop)
	return n
}

// stop stops node n (made by newNode) before the test ends.
func (h *driverHarness) stop(n *Node) { h.stops[n]() }

// start makes the node under test (validator i on db) and its driver, as
// Start does but without the loop: its consensus topic has no peers and
// sync only counts pokes.
func (h *driverHarness) start(i int, db store.Store, guard *signer.MemStore) {
	h.t.Helper()
	n := h.newNode(i, db, guard)
	var err error
	if n.consTopic, err = n.net.Join(p2p.ConsensusTopic(n.cfg.Genesis.ChainID), n.maxConsensusMsg(), nil); err != nil {
		h.t.Fatal(err)
	}
	n.syncer = &syncer{n: n, kick: make(chan struct{}, 1)}
	d, err := n.newDriver()
	if err != nil {
		h.t.Fatal(err)
	}
	h.n, h.d = n, d
	d.exec(h.ctx, d.m.Start())
}

// setAt is the validator set (with priorities) of height hh, derived from
// the genesis as every node derives it.
func (h *driverHarness) setAt(hh consensus.Height) *consensus.ValidatorSet {
	h.t.Helper()
	vs, err := toConsensusSet(h.c.gen.ValidatorSet(), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for range hh - 1 {
		vs = vs.NextHeight()
	}
	return vs
}

// proposerOf returns the key index of proposer(hh, r).
func (h *driverHarness) proposerOf(hh consensus.Height, r consensus.Round) int {
	h.t.Helper()
	addr := consensus.NewProposerSchedule(h.setAt(hh)).Proposer(r)
	for i, k := range h.c.keys {
		if crypto.PubkeyToAddress(k.PublicKey) == addr {
			return i
		}
	}
	h.t.Fatalf("proposer %s is no test key", addr)
	return -1
}

// others returns the key indexes other than the ones given.
func (h *driverHarness) others(not ...int) []int {
	var out []int
	for i := range h.c.keys {
		if !slices.Contains(not, i) {
			out = append(out, i)
		}
	}
	return out
}

func (h *driverHarness) addr(i int) common.Address {
	return crypto.PubkeyToAddress(h.c.keys[i].PublicKey)
}

// vote returns vote of type t by validator i, signed.
func (h *driverHarness) vote(i int, t consensus.VoteType, hh consensus.Height, r consensus.Round, id consensus.BlockID) consensus.Vote {
	h.t.Helper()
	v := consensus.Vote{Type: t, Height: hh, Round: r, BlockID: id, Validator: h.addr(i)}
	digest := consensus.VoteSignBytes(h.src.chainID, v)
	sig, err := crypto.Sign(digest[:], h.c.keys[i])
	if err != nil {
		h.t.Fatal(err)
	}
	v.Signature = sig
	return v
}

// votes returns the votes of the given validators.
func (h *driverHarness) votes(idx []int, t consensus.VoteType, hh consensus.Height, r consensus.Round, id consensus.BlockID) []consensus.Vote {
	var out []consensus.Vote
	for _, i := range idx {
		out = append(out, h.vote(i, t, hh, r, id))
	}
	return out
}

// nextBlock builds the src chain's next block (proposed by validator
// proposer) and certifies it with the precommits of signers in round r.
// It returns a private copy of the block and its certificate.
func (h *driverHarness) nextBlock(proposer int, r consensus.Round, signers []int) (*block.Block, *block.Commit) {
	h.t.Helper()
	return h.buildOn(h.src, proposer, r, signers)
}

// buildOn is nextBlock on node n's chain, with the transactions of n's pool.
func (h *driverHarness) buildOn(n *Node, proposer int, r consensus.Round, signers []int) (*block.Block, *block.Commit) {
	h.t.Helper()
	c := n.chain
	hh := consensus.Height(c.Head().Number() + 1)
	var last *block.Commit
	if hh >= 2 {
		var err error
		if last, err = c.Commit(uint64(hh - 1)); err != nil {
			h.t.Fatal(err)
		}
	}
	ex, err := c.Build(chain.BuildParams{Proposer: h.addr(proposer), Time: uint64(time.Now().Unix()), LastCommit: last},
		n.pool.Executable(c.NextBaseFee(c.Head().Header)))
	if err != nil {
		h.t.Fatal(err)
	}
	id := consensus.BlockID(ex.Block.Hash())
	bc, err := wire.ToBlockCommit(consensus.Commit{Height: hh, Round: r, BlockID: id, Precommits: h.votes(signers, consensus.Precommit, hh, r, id)})
	if err != nil {
		h.t.Fatal(err)
	}
	enc, err := ex.Block.Encode()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := c.CommitBlock(ex, bc); err != nil {
		h.t.Fatal(err)
	}
	st, err := c.HeadState()
	if err != nil {
		h.t.Fatal(err)
	}
	n.pool.Reset(st, c.NextBaseFee(c.Head().Header))
	b, err := block.Decode(enc, int(h.c.gen.MaxBlockSize))
	if err != nil {
		h.t.Fatal(err)
	}
	return b, bc
}

// proposal returns the gossip message of b proposed by validator i in
// round r with POL round pol.
func (h *driverHarness) proposal(i int, b *block.Block, r, pol consensus.Round, polVotes []consensus.Vote) consensusMsg {
	h.t.Helper()
	p := consensus.Proposal{Height: consensus.Height(b.Number()), Round: r, POLRound: pol, BlockID: consensus.BlockID(b.Hash()), Proposer: h.addr(i)}
	digest := consensus.ProposalSignBytes(h.src.chainID, p)
	sig, err := crypto.Sign(digest[:], h.c.keys[i])
	if err != nil {
		h.t.Fatal(err)
	}
	p.Signature = sig
	enc, err := b.Encode()
	if err != nil {
		h.t.Fatal(err)
	}
	return consensusMsg{proposal: &wire.ProposalMsg{Proposal: p, Block: enc, POL: polVotes}, block: b}
}

// deliver hands the driver one event, as its loop would.
func (h *driverHarness) deliver(ev event) { h.d.handle(h.ctx, ev) }

// head is the node's committed height.
func (h *driverHarness) head() uint64 { return h.n.chain.Head().Number() }
