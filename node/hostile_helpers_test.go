package node

import (
	"crypto/ecdsa"
	"log/slog"
	"math/big"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// hostileGenesis is the chain of the hostile-peer tests: four validators
// (testKey 0..3), the user testKey(999) and funded more accounts
// (testKey(2000+i)) with 100 ETH each.
func hostileGenesis(t testing.TB, funded int) *genesis.Genesis {
	t.Helper()
	gen := &genesis.Genesis{ChainID: 1337, Devnet: true, GasLimit: 30_000_000, Timestamp: uint64(time.Now().Unix()) - 10,
		Alloc: map[common.Address]genesis.Account{crypto.PubkeyToAddress(testKey(999).PublicKey): {Balance: genesis.Ether(100)}}}
	for i := range funded {
		gen.Alloc[crypto.PubkeyToAddress(testKey(2000+i).PublicKey)] = genesis.Account{Balance: genesis.Ether(100)}
	}
	for i := range 4 {
		gen.Validators = append(gen.Validators, genesis.Validator{Address: crypto.PubkeyToAddress(testKey(i).PublicKey), Stake: genesis.Ether(100)})
	}
	gen.BlockTime.Duration = 200 * time.Millisecond
	gen.FillDefaults()
	if err := gen.Validate(); err != nil {
		t.Fatal(err)
	}
	return gen
}

// newFixtureNode returns an unstarted node of gen on a network of its own:
// its chain and gossip checks are there to be called directly.
func newFixtureNode(t testing.TB, gen *genesis.Genesis) *Node {
	t.Helper()
	return newFixtureNodeWith(t, gen, nil)
}

// newFixtureNodeWith is newFixtureNode with edit, if set, changing the
// node's configuration first.
func newFixtureNodeWith(t testing.TB, gen *genesis.Genesis, edit func(*Config)) *Node {
	t.Helper()
	net, err := memnet.New(memnet.Config{})
	if err != nil {
		t.Fatal(err)
	}
	host, err := net.NewHost("fixture")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close(); net.Close() })
	cfg := Config{Genesis: gen, DB: memdb.New(), Network: host}
	if edit != nil {
		edit(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.chain.Close() })
	return n
}

// validatorKeys maps the hostile genesis' validators to their keys.
func validatorKeys() map[common.Address]*ecdsa.PrivateKey {
	keys := map[common.Address]*ecdsa.PrivateKey{}
	for i := range 4 {
		keys[crypto.PubkeyToAddress(testKey(i).PublicKey)] = testKey(i)
	}
	return keys
}

// buildBlock builds the block on n's head proposed by proposer, with
// txs from n's pool, and returns it executed.
func buildBlock(t testing.TB, n *Node, proposer common.Address, last *block.Commit) *chain.Executed {
	t.Helper()
	ex, err := n.chain.Build(chain.BuildParams{Proposer: proposer, Time: uint64(time.Now().Unix()), LastCommit: last},
		n.pool.Executable(n.chain.NextBaseFee(n.chain.Head().Header)))
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// signedCommit returns the commit certificate of every validator for b.
func signedCommit(t testing.TB, chainID string, b *block.Block) *block.Commit {
	t.Helper()
	c := consensus.Commit{Height: consensus.Height(b.Number()), BlockID: consensus.BlockID(b.Hash())}
	for _, k := range validatorKeys() {
		v, err := attacktest.SignVote(k, chainID, consensus.Vote{Type: consensus.Precommit, Height: c.Height, BlockID: c.BlockID})
		if err != nil {
			t.Fatal(err)
		}
		c.Precommits = append(c.Precommits, v)
	}
	bc, err := wire.ToBlockCommit(c)
	if err != nil {
		t.Fatal(err)
	}
	return bc
}

// proposerKey returns the key of the proposer of round r with set vals.
func proposerKey(vals *consensus.ValidatorSet, r consensus.Round) *ecdsa.PrivateKey {
	return validatorKeys()[consensus.NewProposerSchedule(vals).Proposer(r)]
}

// proposalEnvelope signs a round-r proposal (POL round pol, justification
// votes) of the encoded block b with key and wraps it for gossip.
func proposalEnvelope(t testing.TB, chainID string, key *ecdsa.PrivateKey, b *block.Block, r, pol consensus.Round, votes []consensus.Vote) []byte {
	t.Helper()
	enc, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err := attacktest.SignProposal(key, chainID, consensus.Proposal{Height: consensus.Height(b.Number()), Round: r, POLRound: pol,
		BlockID: consensus.BlockID(b.Hash())})
	if err != nil {
		t.Fatal(err)
	}
	data, err := attacktest.ProposalEnvelope(wire.ProposalMsg{Proposal: p, Block: enc, POL: votes}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// prevotesFor returns every validator's prevote for id in round r of
// height h, in validator address order (as a proposer sends them).
func prevotesFor(t testing.TB, chainID string, h consensus.Height, r consensus.Round, id consensus.BlockID) []consensus.Vote {
	t.Helper()
	var out []consensus.Vote
	for _, k := range validatorKeys() {
		v, err := attacktest.SignVote(k, chainID, consensus.Vote{Type: consensus.Prevote, Height: h, Round: r, BlockID: id})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b consensus.Vote) int { return a.Validator.Cmp(b.Validator) })
	return out
}

// fillPool signs txsPerAccount transfers from each of gen's extra funded
// accounts (hostileGenesis' funded) into n's pool.
func fillPool(t testing.TB, n *Node, accounts, txsPerAccount int) {
	t.Helper()
	chainID := new(big.Int).SetUint64(n.cfg.Genesis.ChainID)
	var txs []*types.Transaction
	for i := range accounts {
		for nonce := range uint64(txsPerAccount) {
			tx, err := attacktest.Transfer(testKey(2000+i), chainID, nonce)
			if err != nil {
				t.Fatal(err)
			}
			txs = append(txs, tx)
		}
	}
	for i, err := range n.pool.Add(txs...) {
		if err != nil {
			t.Fatalf("pool tx %d: %v", i, err)
		}
	}
}

// heightTwoProposal returns a valid proposal for height 2 of gen, carrying a
// block of txs transfers: what a node still at genesis gets from peers one
// height ahead. It builds and commits block 1 on a fixture chain of its own.
func heightTwoProposal(t testing.TB, gen *genesis.Genesis, txs int) []byte {
	t.Helper()
	f := newFixtureNode(t, gen)
	vals1, err := f.validatorsAt(1)
	if err != nil {
		t.Fatal(err)
	}
	ex1 := buildBlock(t, f, crypto.PubkeyToAddress(proposerKey(vals1, 0).PublicKey), nil)
	c1 := signedCommit(t, f.chainID, ex1.Block)
	if err := f.chain.CommitBlock(ex1, c1); err != nil {
		t.Fatal(err)
	}
	st, err := f.chain.HeadState()
	if err != nil {
		t.Fatal(err)
	}
	f.pool.Reset(st, f.chain.NextBaseFee(ex1.Block.Header))
	const perAccount = 100
	fillPool(t, f, (txs+perAccount-1)/perAccount, perAccount)
	vals2, err := f.validatorsAt(2)
	if err != nil {
		t.Fatal(err)
	}
	key := proposerKey(vals2, 0)
	ex2 := buildBlock(t, f, crypto.PubkeyToAddress(key.PublicKey), c1)
	return proposalEnvelope(t, f.chainID, key, ex2.Block, 0, consensus.NilRound, nil)
}

// hostileSetup is a started full node of a four-validator chain (so no
// block changes its pool) on memnet, with a hostile peer and an observer
// (another attacktest peer, which only records) each linked to the node
// alone: attacker - node - observer. The network has no delay, so every
// host handles its messages in the order they were sent.
type hostileSetup struct {
	net      *memnet.Network
	gen      *genesis.Genesis
	node     *Node
	attacker *attacktest.Peer
	observer *attacktest.Peer
	user     *ecdsa.PrivateKey
}

func newHostileSetup(t *testing.T, gen *genesis.Genesis) *hostileSetup {
	t.Helper()
	net, err := memnet.New(memnet.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Close() })
	s := &hostileSetup{net: net, gen: gen, user: testKey(999)}
	peer := func(name p2p.PeerID) *attacktest.Peer {
		h, err := net.NewHost(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		p, err := attacktest.NewPeer(h, s.gen.ChainID, int(s.gen.MaxBlockSize))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	host, err := net.NewHost("node")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	s.attacker, s.observer = peer("attacker"), peer("observer")
	for _, other := range []p2p.PeerID{"attacker", "observer"} {
		if err := net.Connect(other, "node"); err != nil {
			t.Fatal(err)
		}
	}
	s.node, err = New(Config{Genesis: s.gen, DB: memdb.New(), Network: host,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.node.Stop)
	return s
}

func (s *hostileSetup) chainID() *big.Int { return new(big.Int).SetUint64(s.gen.ChainID) }

// rejects returns how many of peer's gossip messages the node rejected.
func (s *hostileSetup) rejects(peer p2p.PeerID) int {
	for _, p := range s.node.net.Peers() {
		if p.ID == peer {
			return p.Rejects
		}
	}
	return -1
}
