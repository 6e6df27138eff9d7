// Package hostile_test is issue 16's acceptance suite: a hostile peer built
// from our own p2p package (node/attacktest over libp2p on loopback) sends
// each attack at a process cluster of four validators, and each subtest
// checks that the honest nodes keep finalizing, that the attacked node's
// resident memory stays within memBoundMiB of its baseline, and that the
// attacker is scored down (rejects counted against it, or banned). The
// sync-hijack subtest also starts a fresh full node with the liar among its
// bootnodes and checks that it catches up. The wrong-proposer subtest plays
// a key holder; its forgeries are ignored, not rejected, so it checks
// finality, memory and the absence of evidence but not the sender's score.
// The identity-churn subtest opens more fresh peer ids than a validator's
// new-identity burst and checks that the surplus is refused. The measured numbers are in docs/decisions.md (issue 16).
package hostile_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p/libp2p"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m)) }

const (
	// blockTime is the cluster's block time (the devnet default).
	blockTime = time.Second
	// memBoundMiB is how far the attacked node's resident set (VmRSS) may
	// grow above its level just before an attack, while the attack runs and
	// until the honest nodes have finalized finalizeBlocks more blocks. It
	// is the bound issue 16 states for a process: before the fixes, 300
	// re-wrapped copies of one proposal alone grew a victim's heap by
	// 248 MiB in-process.
	memBoundMiB = 150
	// finalizeBlocks is how many blocks every honest validator must commit
	// after an attack started.
	finalizeBlocks = 3
	// finalizeTimeout bounds the wait for them (3 blocks at 1 s, with room
	// for a loaded 2-core machine).
	finalizeTimeout = 30 * time.Second
)

// env is the shared cluster and its attacked node.
type env struct {
	c       *cluster.Cluster
	victim  *cluster.Node
	chainID uint64
	maxBlk  int
}

func TestHostilePeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a multi-process validator cluster; skipped with -short")
	}
	c := cluster.New(t, cluster.Options{Validators: 4, BlockTime: blockTime})
	e := &env{c: c, victim: c.Node(0), chainID: c.Genesis.ChainID, maxBlk: int(c.Genesis.MaxBlockSize)}
	ctx := testCtx(t, 30*time.Second)
	if err := c.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	t.Run("RewrappedGossip", e.testRewrap)
	t.Run("InflatedProposal", e.testInflated)
	t.Run("GarbageSignatureTxs", e.testGarbageTxs)
	t.Run("Flood", e.testFlood)
	t.Run("SyncHijack", e.testSyncHijack)
	t.Run("WrongProposer", e.testWrongProposer)
	t.Run("IdentityChurn", e.testIdentityChurn)
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// memory is a node process's VmRSS and VmHWM.
func memory(t *testing.T, n *cluster.Node) loadgen.Memory {
	t.Helper()
	pid := n.PID()
	if pid == 0 {
		t.Fatalf("%s is not running", n.Name)
	}
	m, err := loadgen.ProcessMemory(pid)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rssMiB is a node process's VmRSS.
func rssMiB(t *testing.T, n *cluster.Node) float64 { return memory(t, n).RSSMiB }

// attacker dials bootnodes with a fresh key and waits until the victim
// sends it consensus gossip (subscriptions exchanged, so its publishes reach
// the victim).
func (e *env) attacker(t *testing.T) (*attacktest.Peer, *libp2p.Host) {
	t.Helper()
	p, h, err := attacktest.DialLibp2p([]string{e.victim.P2PAddr()}, e.chainID, e.maxBlk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); h.Close() })
	cluster.Await(t, 20*time.Second, func() error {
		if len(p.Consensus()) == 0 {
			return fmt.Errorf("attacker %s has received no consensus gossip yet", p.ID())
		}
		return nil
	})
	return p, h
}

// minHead is the lowest head among the cluster's validators.
func (e *env) minHead(ctx context.Context) (uint64, error) {
	var lowest uint64
	for i, n := range e.c.Nodes()[:4] {
		h, err := n.Head(ctx)
		if err != nil {
			return 0, err
		}
		if i == 0 || h < lowest {
			lowest = h
		}
	}
	return lowest, nil
}

// outcome is what one attack measured, logged for docs/decisions.md.
type outcome struct {
	rssBefore, rssMax float64
	finalizeTook      time.Duration
	verdict           string
}

// judge waits, after attack ran, until every validator committed
// finalizeBlocks blocks past start and the attacker is scored down on
// node n, sampling the victim's RSS throughout; it fails t if the memory
// bound is broken.
func (e *env) judge(t *testing.T, n *cluster.Node, attackerID string, start uint64, rssBefore, peakBefore float64, began time.Time) outcome {
	t.Helper()
	ctx := testCtx(t, finalizeTimeout+10*time.Second)
	o := outcome{rssBefore: rssBefore, rssMax: rssBefore}
	sample := func() {
		if r := rssMiB(t, e.victim); r > o.rssMax {
			o.rssMax = r
		}
		if o.rssMax > rssBefore+memBoundMiB {
			t.Fatalf("%s's RSS grew from %.1f MiB to %.1f MiB, bound +%d MiB", e.victim.Name, rssBefore, o.rssMax, memBoundMiB)
		}
	}
	cluster.Await(t, finalizeTimeout, func() error {
		sample()
		h, err := e.minHead(ctx)
		if err != nil {
			return err
		}
		if h < start+finalizeBlocks {
			return fmt.Errorf("validators' lowest head %d, want %d", h, start+finalizeBlocks)
		}
		return nil
	})
	o.finalizeTook = time.Since(began)
	if attackerID == "" {
		o.verdict = "not required to be scored down"
	}
	cluster.Await(t, 20*time.Second, func() error {
		if attackerID == "" {
			return nil
		}
		sample()
		v, err := scoredDown(ctx, n, attackerID)
		if err != nil {
			return err
		}
		o.verdict = v
		return nil
	})
	sample()
	// VmHWM catches a peak between samples: it may not pass the bound
	// unless it was already above it before the attack (start-up).
	if peak := memory(t, e.victim).PeakMiB; peak > max(peakBefore, rssBefore+memBoundMiB) {
		t.Fatalf("%s's peak RSS rose from %.1f MiB to %.1f MiB during the attack, bound %.1f + %d MiB", e.victim.Name, peakBefore, peak, rssBefore, memBoundMiB)
	}
	t.Logf("%s RSS %.1f MiB before, %.1f MiB at most after (bound +%d); %d blocks finalized %.1fs after the attack began; attacker %s",
		e.victim.Name, o.rssBefore, o.rssMax, memBoundMiB, finalizeBlocks, o.finalizeTook.Seconds(), o.verdict)
	return o
}

// scoredDown reports how n scored the attacker down: rejects counted or a
// negative gossip score in bilayer_peers, or a ban (logged by the host,
// and the peer disconnected).
func scoredDown(ctx context.Context, n *cluster.Node, id string) (string, error) {
	peers, err := n.Peers(ctx)
	if err != nil {
		return "", err
	}
	connected := false
	for _, p := range peers {
		if p.ID == id {
			connected = true
			if p.Rejects > 0 || p.Score < 0 {
				return fmt.Sprintf("connected with %d rejects, gossip score %.1f", p.Rejects, p.Score), nil
			}
		}
	}
	logs, err := n.Logs()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "banning peer") && strings.Contains(line, id) {
			if connected {
				return "", fmt.Errorf("%s logged a ban of %s but still lists it as a peer", n.Name, id)
			}
			return "banned and disconnected", nil
		}
	}
	return "", fmt.Errorf("%s has not scored %s down (connected: %v, 0 rejects)", n.Name, id, connected)
}

// begin records the start of an attack.
func (e *env) begin(t *testing.T) (start uint64, rss, peak float64, at time.Time) {
	t.Helper()
	h, err := e.minHead(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	m := memory(t, e.victim)
	return h, m.RSSMiB, m.PeakMiB, time.Now()
}

// latest returns the newest consensus message of kind the attacker has been
// sent, waiting for one if needed.
func latest(t *testing.T, p *attacktest.Peer, kind uint8) []byte {
	t.Helper()
	var found []byte
	cluster.Await(t, 20*time.Second, func() error {
		msgs := p.Consensus()
		for i := len(msgs) - 1; i >= 0; i-- {
			k, _, err := wire.DecodeEnvelope(msgs[i], p.MaxConsensusMsg())
			if err == nil && k == kind {
				found = msgs[i]
				return nil
			}
		}
		return fmt.Errorf("no message of kind %d among %d received", kind, len(msgs))
	})
	return found
}

// testRewrap: item 1. 300 copies of a real proposal of more than bigTxData
// bytes, each in an envelope with a fresh nonce, sent as soon as it arrives
// (within the 4 s in which copies count against the sender).
func (e *env) testRewrap(t *testing.T) {
	p, _ := e.attacker(t)
	ctx := testCtx(t, 60*time.Second)
	// Honest traffic first: about 88 KB of transfers, so the copied
	// proposal carries a block of more than bigTxData bytes (the
	// in-process measurement used a 115 KB proposal).
	// The transfers reach the proposer over a second or so: if a block
	// boundary splits them into proposals under bigTxData, send more (a
	// backlog fills the next proposal), at most three rounds.
	before := len(p.Consensus())
	var prop []byte
	bigProposal := func() error {
		msgs := p.Consensus()
		for i := len(msgs) - 1; i >= before; i-- {
			if k, _, err := wire.DecodeEnvelope(msgs[i], p.MaxConsensusMsg()); err == nil && k == wire.KindProposal && len(msgs[i]) > bigTxData {
				prop = msgs[i]
				return nil
			}
		}
		return fmt.Errorf("no proposal of more than %d bytes received yet", bigTxData)
	}
	for round := 1; ; round++ {
		e.sendBigTx(t, ctx)
		err := waitfor.Within(10*time.Second, bigProposal)
		if err == nil {
			break
		}
		if round == 3 {
			t.Fatalf("after %d rounds of transfers: %v", round, err)
		}
		t.Logf("round %d of transfers: %v; sending more", round, err)
	}
	start, rss, peak, began := e.begin(t)
	sent := 0
	for i := range 300 {
		data, err := attacktest.Rewrap(prop, p.MaxConsensusMsg(), uint64(1_000_000+i))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.PublishConsensus(ctx, data); err != nil {
			break // the host may already have been cut off
		}
		sent++
	}
	t.Logf("published %d re-wrapped copies of a %d-byte proposal", sent, len(prop))
	e.judge(t, e.victim, string(p.ID()), start, rss, peak, began)
}

// bigTxData is about how many bytes of transactions sendBigTx puts in the
// pool: 4 development accounts × 200 transfers of about 110 bytes (the L1
// takes neither contract creations nor calldata to accounts without code).
const bigTxData = 64 << 10

// sendBigTx sends, through a validator other than the victim, 800
// transfers from 4 development accounts (batched JSON-RPC).
func (e *env) sendBigTx(t *testing.T, ctx context.Context) {
	t.Helper()
	via := e.c.Node(1)
	chainID := new(big.Int).SetUint64(e.chainID)
	for a := range 4 {
		dev, err := devkeys.Get(a)
		if err != nil {
			t.Fatal(err)
		}
		nonce, err := via.Client().PendingNonceAt(ctx, dev.Address)
		if err != nil {
			t.Fatal(err)
		}
		var batch []rpc.BatchElem
		for i := range uint64(200) {
			tx, err := attacktest.Transfer(dev.Key, chainID, nonce+i)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := tx.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, rpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{hexutil.Bytes(raw)}, Result: new(common.Hash)})
		}
		for i := 0; i < len(batch); i += 50 { // the server's batch limit is lower than 200
			if err := via.RPC().BatchCallContext(ctx, batch[i:i+50]); err != nil {
				t.Fatalf("send transfers through %s: %v", via.Name, err)
			}
		}
		for _, b := range batch {
			if b.Error != nil {
				t.Fatalf("send transfer through %s: %v", via.Name, b.Error)
			}
		}
	}
}

// testInflated: item 3. The newest real proposal with 1,024 copies of a
// prevote appended to its proof-of-lock list, in 20 variants (1,024 to
// 1,043 copies: 20 message ids).
func (e *env) testInflated(t *testing.T) {
	p, _ := e.attacker(t)
	start, rss, peak, began := e.begin(t)
	prop := latest(t, p, wire.KindProposal)
	var vote consensus.Vote
	cluster.Await(t, 20*time.Second, func() error {
		for _, m := range p.Consensus() {
			k, payload, err := wire.DecodeEnvelope(m, p.MaxConsensusMsg())
			if err != nil || k != wire.KindVote {
				continue
			}
			if v, err := wire.DecodeVote(payload); err == nil && v.Type == consensus.Prevote {
				vote = v
				return nil
			}
		}
		return fmt.Errorf("no prevote received yet")
	})
	ctx := testCtx(t, 30*time.Second)
	sent, size := 0, 0
	for i := range 20 {
		data, err := attacktest.InflatePOL(prop, p.MaxConsensusMsg(), vote, 1024+i)
		if err != nil {
			t.Fatal(err)
		}
		size = len(data)
		if err := p.PublishConsensus(ctx, data); err != nil {
			break
		}
		sent++
	}
	t.Logf("published %d inflated proposals of about %d bytes", sent, size)
	e.judge(t, e.victim, string(p.ID()), start, rss, peak, began)
}

// testGarbageTxs: item 4. 50 batches of 100 transfers whose signatures
// recover to no key.
func (e *env) testGarbageTxs(t *testing.T) {
	p, _ := e.attacker(t)
	start, rss, peak, began := e.begin(t)
	ctx := testCtx(t, 30*time.Second)
	chainID := new(big.Int).SetUint64(e.chainID)
	sent := 0
	for i := range 50 {
		txs, err := attacktest.BadSignatureTxs(chainID, 100, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.PublishTxs(ctx, txs); err != nil {
			break
		}
		sent++
	}
	t.Logf("published %d batches of 100 bad-signature transactions", sent)
	e.judge(t, e.victim, string(p.ID()), start, rss, peak, began)
}

// testFlood: item 7. 2,000 distinct undecodable consensus messages of 1 KiB
// and 2,000 undecodable transaction batches, as fast as the host sends.
func (e *env) testFlood(t *testing.T) {
	p, _ := e.attacker(t)
	start, rss, peak, began := e.begin(t)
	ctx := testCtx(t, 30*time.Second)
	cons, txs := p.Topics()
	sent := 0
	for range 2000 {
		junk := make([]byte, 1024)
		rand.Read(junk)
		if cons.Publish(ctx, junk) != nil || txs.Publish(ctx, junk) != nil {
			break
		}
		sent++
	}
	t.Logf("published %d junk messages on each topic", sent)
	e.judge(t, e.victim, string(p.ID()), start, rss, peak, began)
}

// testSyncHijack: item 2. A peer claims head 2^40 in the status handshake
// and answers every block range with nothing; a fresh full node with it
// among its bootnodes catches up to the validators' head anyway and
// penalises it.
func (e *env) testSyncHijack(t *testing.T) {
	p, h, err := attacktest.DialLibp2p(nil, e.chainID, e.maxBlk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); h.Close() })
	info, err := e.victim.NodeInfo(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.LieAboutHead(info.GenesisHash, e.maxBlk, 1<<40); err != nil {
		t.Fatal(err)
	}
	addrs := h.Multiaddrs()
	if len(addrs) == 0 {
		t.Fatal("the attacker host listens nowhere")
	}
	start, rss, peak, began := e.begin(t)
	target := start
	full, err := e.c.AddNodeWith(cluster.NodeOptions{Full: true, ExtraArgs: []string{"--bootnodes", addrs[0]}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 60*time.Second)
	cluster.Await(t, 30*time.Second, func() error {
		head, err := full.Head(ctx)
		if err != nil {
			return err
		}
		if head < target {
			return fmt.Errorf("%s at height %d, want %d", full.Name, head, target)
		}
		return nil
	})
	caughtUp := time.Since(began)
	t.Logf("%s reached height %d (the validators' head when it started) %.1fs after its start began", full.Name, target, caughtUp.Seconds())
	// The full node is the attacked one here. It has no baseline of its
	// own (it starts under attack), so its RSS is held to the victim
	// validator's level plus memBoundMiB; the validator is judged as in
	// the other attacks.
	o := e.judge(t, full, string(p.ID()), start, rss, peak, began)
	if err := full.WaitHeight(ctx, start+finalizeBlocks); err != nil {
		t.Fatal(err) // it follows the chain after catching up
	}
	fullRSS := rssMiB(t, full)
	if fullRSS > o.rssBefore+memBoundMiB {
		t.Fatalf("%s's RSS is %.1f MiB, bound %.1f + %d MiB", full.Name, fullRSS, o.rssBefore, memBoundMiB)
	}
	t.Logf("%s RSS %.1f MiB after catching up and following %d blocks; attacker on %s: %s", full.Name, fullRSS, finalizeBlocks, full.Name, o.verdict)
}

// testWrongProposer: item 6, played by a key holder (the cluster's genesis
// validator keys): each real proposal of 5 heights, re-signed by each of
// the three validators that did not propose it, with the block unchanged.
// The gossip check ignores them (not a reject: across an epoch change an
// honest relayer may assume another set), so the sender is not required to
// be scored down; honest finality, memory and the absence of equivocation
// evidence are checked, and its rejects are logged.
func (e *env) testWrongProposer(t *testing.T) {
	p, _ := e.attacker(t)
	start, rss, peak, began := e.begin(t)
	ctx := testCtx(t, 60*time.Second)
	chain := fmt.Sprint(e.chainID)
	done := map[consensus.Height]bool{}
	sent := 0
	cluster.Await(t, 30*time.Second, func() error {
		for _, m := range p.Consensus() {
			k, payload, err := wire.DecodeEnvelope(m, p.MaxConsensusMsg())
			if err != nil || k != wire.KindProposal {
				continue
			}
			msg, err := wire.DecodeProposal(payload, p.MaxConsensusMsg())
			// Only proposals of heights not yet committed when the attack
			// began: the forgeries must be for a live height, not stale.
			if err != nil || uint64(msg.Proposal.Height) <= start || done[msg.Proposal.Height] || len(done) == 5 {
				continue
			}
			done[msg.Proposal.Height] = true
			for _, key := range e.c.Keys {
				if crypto.PubkeyToAddress(key.PublicKey) == msg.Proposal.Proposer {
					continue
				}
				forged, err := attacktest.SignProposal(key, chain, msg.Proposal)
				if err != nil {
					t.Fatal(err)
				}
				data, err := attacktest.ProposalEnvelope(wire.ProposalMsg{Proposal: forged, Block: msg.Block, POL: msg.POL}, uint64(sent+1))
				if err != nil {
					t.Fatal(err)
				}
				if err := p.PublishConsensus(ctx, data); err != nil {
					t.Fatal(err)
				}
				sent++
			}
		}
		if len(done) < 5 {
			return fmt.Errorf("forged proposals for %d heights, want 5", len(done))
		}
		return nil
	})
	t.Logf("published %d proposals signed by a validator that was not the round's proposer", sent)
	e.judge(t, e.victim, "", start, rss, peak, began)
	for _, n := range e.c.Nodes() {
		info, err := n.NodeInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Evidence) > 0 {
			t.Fatalf("%s reports equivocation evidence: %v", n.Name, info.Evidence)
		}
	}
	peers, err := e.victim.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range peers {
		if q.ID == string(p.ID()) {
			t.Logf("the forger is still connected to %s with %d rejects", e.victim.Name, q.Rejects)
		}
	}
}
