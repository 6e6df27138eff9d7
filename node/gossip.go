package node

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Transaction gossip batching.
const (
	txBatchMaxCount = 1000 // well below wire.MaxTxBatchCount
	txBatchMaxBytes = 1 << 20
	txBatchInterval = 100 * time.Millisecond
	// txWaitBudget bounds the bytes of transaction batches waiting for
	// their turn to be checked (txGate).
	txWaitBudget = 2 * p2p.TxTopicMaxSize
	// futureHeights is how far ahead of our next height a consensus
	// message may be and still be relayed.
	futureHeights = 2
)

func (n *Node) maxConsensusMsg() int {
	return p2p.ConsensusTopicMaxSize(int(n.cfg.Genesis.MaxBlockSize))
}

// startGossip joins the consensus and transaction topics and starts their
// readers and the transaction batcher.
func (n *Node) startGossip(ctx context.Context) error {
	id := n.cfg.Genesis.ChainID
	var err error
	// The transaction topic's validator pools what it accepts (nobody
	// subscribes to the topic) and hands what it re-gossips to the batcher.
	n.txGossip = &txBatcher{topic: nil, n: n, kick: make(chan struct{}, 1)}
	n.txGate = newTxGate(txWaitBudget)
	// A consensus message is identified by what is signed, not by its
	// envelope's nonce: re-wrapped copies are duplicates (issue 16 item 1).
	if n.consTopic, err = n.net.Join(p2p.ConsensusTopic(id), n.maxConsensusMsg(), n.validateConsensus,
		p2p.WithMessageID(wire.MessageID)); err != nil {
		return fmt.Errorf("join consensus topic: %w", err)
	}
	if n.txTopic, err = n.net.Join(p2p.TxTopic(id), p2p.TxTopicMaxSize, n.validateTxBatch); err != nil {
		return fmt.Errorf("join tx topic: %w", err)
	}
	n.txGossip.topic = n.txTopic
	n.future = newFutureBuffer(futureBudgetBlocks * n.maxConsensusMsg())
	n.verified.budget = verifiedBudgetBlocks * n.maxConsensusMsg()
	n.verifiedVotes.size = verifiedVoteCacheSize
	consSub, err := n.consTopic.Subscribe()
	if err != nil {
		return fmt.Errorf("subscribe consensus topic: %w", err)
	}
	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.readConsensus(ctx, consSub) }()
	go func() { defer n.wg.Done(); n.txGossip.run(ctx) }()
	return nil
}

// consensusMsg is a decoded, verified consensus gossip message.
type consensusMsg struct {
	proposal *wire.ProposalMsg
	block    *block.Block
	vote     *consensus.Vote
	// arrived is when the gossip check began on the message, for the
	// commit's log line: a proposal's arrival against when the driver
	// took it up.
	arrived time.Time
}

// decodeConsensus decodes and verifies a consensus message. The verdict
// says what to do with it when it is not usable.
func (n *Node) decodeConsensus(data []byte) (consensusMsg, p2p.Verdict, error) {
	kind, payload, err := wire.DecodeEnvelope(data, n.maxConsensusMsg())
	if err != nil {
		return consensusMsg{}, p2p.Reject, err
	}
	next := consensus.Height(n.chain.Head().Number() + 1)
	inWindow := func(h consensus.Height) bool { return h >= next && h <= next+futureHeights }
	switch kind {
	case wire.KindVote:
		v, err := wire.DecodeVote(payload)
		if err != nil {
			return consensusMsg{}, p2p.Reject, err
		}
		if !inWindow(v.Height) {
			return consensusMsg{}, p2p.Ignore, fmt.Errorf("vote for height %d outside [%d, %d]", v.Height, next, next+futureHeights)
		}
		vals, err := n.validatorsAt(v.Height)
		if err != nil {
			return consensusMsg{}, p2p.Ignore, err
		}
		if err := consensus.VerifyVote(n.chainID, v, vals); err != nil {
			return consensusMsg{}, verifyVerdict(err), err
		}
		return consensusMsg{vote: &v}, p2p.Accept, nil
	default:
		m, err := wire.DecodeProposal(payload, n.maxConsensusMsg())
		if err != nil {
			return consensusMsg{}, p2p.Reject, err
		}
		p := m.Proposal
		if !inWindow(p.Height) {
			return consensusMsg{}, p2p.Ignore, fmt.Errorf("proposal for height %d outside [%d, %d]", p.Height, next, next+futureHeights)
		}
		vals, err := n.validatorsAt(p.Height)
		if err != nil {
			return consensusMsg{}, p2p.Ignore, err
		}
		if err := consensus.VerifyProposal(n.chainID, p, vals); err != nil {
			return consensusMsg{}, verifyVerdict(err), err
		}
		if verdict, err := n.checkProposalRights(&m, vals); err != nil {
			return consensusMsg{}, verdict, err
		}
		b, err := block.Decode(m.Block, int(n.cfg.Genesis.MaxBlockSize))
		if err != nil {
			return consensusMsg{}, p2p.Reject, err
		}
		if b.Hash() != [32]byte(p.BlockID) || b.Number() != uint64(p.Height) {
			return consensusMsg{}, p2p.Reject, errors.New("proposed block does not match the proposal")
		}
		if err := b.CheckCommitments(); err != nil {
			return consensusMsg{}, p2p.Reject, err
		}
		n.chain.CommitmentsChecked(b) // Execute need not hash its transactions again
		return consensusMsg{proposal: &m, block: b}, p2p.Accept, nil
	}
}

// validateConsensus is the consensus topic's gossip validator. A proposal
// it accepts is remembered, decoded and verified, for the reader.
func (n *Node) validateConsensus(from p2p.PeerID, data []byte) p2p.Verdict {
	arrived := time.Now()
	m, verdict, err := n.decodeConsensus(data)
	m.arrived = arrived
	if err != nil && verdict == p2p.Reject {
		n.log.Debug("Rejected consensus message", "peer", from, "err", err)
	}
	if verdict == p2p.Accept {
		if key, proposal, ok := verifiedKey(data, n.maxConsensusMsg()); ok {
			n.verifiedCacheFor(proposal).put(key, m)
		}
	}
	return verdict
}

// verifiedKey returns the cache key of a consensus message (a proposal's
// key over its signed proposal, or a vote's message id over its signed
// content) and whether it is a proposal.
func verifiedKey(data []byte, maxSize int) (key [32]byte, proposal, ok bool) {
	kind, payload, err := wire.DecodeEnvelope(data, maxSize)
	if err != nil {
		return [32]byte{}, false, false
	}
	switch kind {
	case wire.KindProposal:
		key, err := wire.ProposalKey(payload)
		return key, true, err == nil
	case wire.KindVote:
		return wire.MessageID(data), false, true
	}
	return [32]byte{}, false, false
}

// verifiedCacheFor is the cache of proposals or of votes.
func (n *Node) verifiedCacheFor(proposal bool) *verifiedCache {
	if proposal {
		return &n.verified
	}
	return &n.verifiedVotes
}

// futureReleaseInterval is how often the consensus reader hands the
// driver the buffered messages of a height the chain has reached, when no
// message arrives to make it look.
const futureReleaseInterval = 25 * time.Millisecond

// readConsensus hands accepted consensus messages to the driver; those of
// heights after the next one wait in the future buffer until the chain
// reaches them.
func (n *Node) readConsensus(ctx context.Context, sub p2p.Subscription) {
	defer sub.Cancel()
	for ctx.Err() == nil {
		n.releaseFuture(ctx)
		wctx, cancel := context.WithTimeout(ctx, futureReleaseInterval)
		msg, err := sub.Next(wctx)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				continue
			}
			return
		}
		m, ok := consensusMsg{}, false
		if key, proposal, known := verifiedKey(msg.Data, n.maxConsensusMsg()); known {
			m, ok = n.verifiedCacheFor(proposal).take(key)
		}
		if !ok {
			var verdict p2p.Verdict
			arrived := time.Now()
			if m, verdict, err = n.decodeConsensus(msg.Data); verdict != p2p.Accept {
				n.log.Debug("Dropped consensus message", "peer", msg.From, "err", err)
				continue
			}
			m.arrived = arrived
		}
		n.deliverConsensus(ctx, m, len(msg.Data))
	}
}

// deliverConsensus posts m to the driver, or holds it in the future buffer
// if it is for a height after the next one.
func (n *Node) deliverConsensus(ctx context.Context, m consensusMsg, encoded int) {
	next := consensus.Height(n.chain.Head().Number() + 1)
	h := messageHeight(m)
	if h <= next {
		n.post(ctx, evMessage{msg: m})
		return
	}
	var r consensus.Round
	if m.vote != nil {
		r = m.vote.Round
	} else {
		r = m.proposal.Proposal.Round
	}
	if r > n.maxRound(h) || !n.future.add(m, encoded) {
		n.log.Debug("Future consensus message not buffered", "height", h, "round", r)
	}
}

// releaseFuture posts the buffered messages of the next height. A proposal
// was checked against the validator set this node assumed for its height;
// now that the set is known, one from the wrong proposer is dropped before
// the driver keeps its block.
func (n *Node) releaseFuture(ctx context.Context) {
	next := consensus.Height(n.chain.Head().Number() + 1)
	for _, m := range n.future.release(next) {
		if m.proposal != nil {
			p := m.proposal.Proposal
			vals, err := n.validatorsAt(p.Height)
			if err != nil || n.proposers.proposer(vals, p.Round) != p.Proposer {
				continue
			}
		}
		n.post(ctx, evMessage{msg: m})
	}
}

// Bounds of the messages remembered between the gossip validator and the
// reader: a count of proposals with a byte budget in largest consensus
// messages, and a count of votes (a decoded vote is a few hundred bytes).
const (
	verifiedCacheSize     = 64
	verifiedBudgetBlocks  = 2
	verifiedVoteCacheSize = 4096
)

// verifiedCache hands messages the gossip validator decoded and verified
// to the topic reader, so a proposal (a whole block) is decoded, hashed
// and its signature recovered once, not twice, and a vote's signature is
// recovered once. It holds at most size messages (verifiedCacheSize if
// zero) and, if budget is set, at most budget bytes of them (memSize), the
// oldest dropped first: a dropped one is decoded again by the reader.
type verifiedCache struct {
	mu     sync.Mutex
	size   int
	budget int
	bytes  int
	m      map[[32]byte]consensusMsg
	order  [][32]byte
}

func (c *verifiedCache) put(key [32]byte, m consensusMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[[32]byte]consensusMsg)
	}
	if _, ok := c.m[key]; ok {
		return
	}
	c.m[key] = m
	c.bytes += memSize(m, 0)
	c.order = append(c.order, key)
	size := c.size
	if size == 0 {
		size = verifiedCacheSize
	}
	for len(c.order) > size || (c.budget > 0 && c.bytes > c.budget && len(c.order) > 0) {
		if old, ok := c.m[c.order[0]]; ok {
			c.bytes -= memSize(old, 0)
			delete(c.m, c.order[0])
		}
		c.order = c.order[1:]
	}
}

func (c *verifiedCache) take(key [32]byte) (consensusMsg, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.m[key]
	if ok {
		c.bytes -= memSize(m, 0)
		delete(c.m, key)
	}
	return m, ok
}

// validateTxBatch is the transaction topic's validator (issue 16 item 4).
// Every transaction this node does not hold yet must pass the checks that
// need no state (type, chain id, size, fee fields, signature): a batch with
// one that fails is invalid everywhere and rejected, so its sender is
// scored down. The rest go into the pool here. A batch all of whose
// transactions entered the pool is accepted and relayed as it is;
// otherwise it is ignored and the transactions that did enter are gossiped
// in this node's own batches: a node relays only what entered its pool, so
// transactions from accounts that cannot pay go no further than the first
// node they reach.
func (n *Node) validateTxBatch(from p2p.PeerID, data []byte) p2p.Verdict {
	if !n.txGate.enter(len(data)) {
		n.log.Debug("Dropped tx batch: too many batches wait to be checked", "peer", from)
		return p2p.Ignore
	}
	defer n.txGate.leave()
	raw, claimed, err := wire.DecodeTxBatchRaw(data)
	if err != nil {
		n.log.Debug("Rejected tx batch", "peer", from, "err", err)
		return p2p.Reject
	}
	// A transaction already pooled here is dropped before it is decoded:
	// its encoding's hash is its hash (wire.DecodeTxBatchRaw). Under a
	// load above what the chain takes, most of a validator's gossip is
	// such copies (a batch a full pool partly refused goes out again in
	// each peer's own batch, to peers that had it from its origin).
	// Decoding, hashing and prechecking gossiped transactions, copies and
	// new ones together, took about 7 % of a validator's CPU at the
	// plateau; dropping the pooled copies first saved about 1 % in paired
	// runs (issue 17, session 36). A new transaction pays one more hash
	// (about half a microsecond). A batch holding a copy is not relayed as
	// it is, as before.
	txs := make([]*types.Transaction, 0, len(raw))
	senders := make([]common.Address, 0, len(raw))
	for i, b := range raw {
		if n.pool.Has(crypto.Keccak256Hash(b)) {
			n.metrics.admitted("gossip", admissionKnown)
			continue
		}
		tx, err := wire.DecodeBatchTx(b, i)
		if err != nil {
			n.log.Debug("Rejected tx batch", "peer", from, "err", err)
			return p2p.Reject
		}
		txs = append(txs, tx)
		senders = append(senders, claimed[i])
	}
	// Each transaction is added as soon as it is checked, so the room
	// check of the next one sees it: a batch arriving at a pool with room
	// for a few does not have all its senders recovered only for most of
	// them to be refused (issue 17: under a load above what the chain
	// takes, that was most of a validator's recoveries).
	var entered []*types.Transaction
	for i, tx := range txs {
		if err := n.pool.Precheck(tx, senders[i]); err != nil {
			if errors.Is(err, txpool.ErrPoolFull) && n.refusedSenders != nil {
				// No room here, but the peer pooled it: it is in a
				// proposal soon. Its sender is recovered now, off that
				// height's critical path (sendercache.go).
				sender, held := n.refusedSenders.get(tx.Hash())
				var rerr error
				if !held { // the same transaction again costs no recovery
					n.execGate.admit(func() { sender, rerr = types.Sender(n.chain.Signer(), tx) })
				}
				if rerr != nil || sender != senders[i] {
					n.metrics.admitted("gossip", admissionInvalid)
					n.log.Debug("Rejected tx batch: a false sender", "peer", from, "tx", i, "hash", tx.Hash(), "claimed", senders[i], "sender", sender, "err", rerr)
					return p2p.Reject
				}
				n.refusedSenders.add(tx.Hash(), sender)
				if held {
					n.metrics.admitted("gossip", admissionRefused) // no recovery spent
				} else {
					n.metrics.admitted("gossip", admissionRecoveredRefused)
				}
				continue
			}
			// The pool would refuse it from the sender the peer names
			// (known, used nonce): not worth a recovery. The batch is
			// then ignored, not relayed.
			n.metrics.admitted("gossip", admissionRefused)
			continue
		}
		var sender common.Address
		var err error
		n.execGate.admit(func() { sender, err = n.chain.CheckTx(tx) })
		if err != nil {
			n.metrics.admitted("gossip", admissionInvalid)
			n.log.Debug("Rejected tx batch", "peer", from, "tx", i, "hash", tx.Hash(), "err", err)
			return p2p.Reject
		}
		if sender != senders[i] {
			n.log.Debug("Rejected tx batch: a false sender", "peer", from, "tx", i, "hash", tx.Hash(), "claimed", senders[i], "sender", sender)
			return p2p.Reject
		}
		if n.pool.Add(tx)[0] == nil {
			entered = append(entered, tx)
			n.metrics.admitted("gossip", admissionAdded)
		} else {
			n.metrics.admitted("gossip", admissionRecoveredRefused)
		}
	}
	n.log.Debug("Received tx batch", "peer", from, "txs", len(raw), "added", len(entered))
	if len(entered) == len(raw) {
		return p2p.Accept
	}
	for _, tx := range entered {
		n.txGossip.add(tx)
	}
	return p2p.Ignore
}

// txBatcher collects locally submitted transactions and gossips them in
// batches.
type txBatcher struct {
	topic p2p.Topic
	n     *Node
	kick  chan struct{}

	mu    sync.Mutex
	buf   []*types.Transaction
	bytes int
}

func (b *txBatcher) add(tx *types.Transaction) {
	b.mu.Lock()
	b.buf = append(b.buf, tx)
	b.bytes += int(tx.Size())
	full := len(b.buf) >= txBatchMaxCount || b.bytes >= txBatchMaxBytes
	b.mu.Unlock()
	if full {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

func (b *txBatcher) run(ctx context.Context) {
	t := time.NewTicker(txBatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.kick:
		}
		b.flush(ctx)
	}
}

func (b *txBatcher) flush(ctx context.Context) {
	for {
		b.mu.Lock()
		if len(b.buf) == 0 {
			b.mu.Unlock()
			return
		}
		cut, size := 0, 0
		for cut < len(b.buf) && cut < txBatchMaxCount && (cut == 0 || size+int(b.buf[cut].Size()) <= txBatchMaxBytes) {
			size += int(b.buf[cut].Size())
			cut++
		}
		batch := b.buf[:cut:cut]
		b.buf = b.buf[cut:]
		b.bytes -= size
		b.mu.Unlock()
		senders := make([]common.Address, 0, len(batch))
		kept := batch[:0:0]
		for _, tx := range batch {
			// Pooled transactions carry their recovered sender.
			if from, err := types.Sender(b.n.chain.Signer(), tx); err == nil {
				senders = append(senders, from)
				kept = append(kept, tx)
			}
		}
		data, err := wire.EncodeTxBatch(kept, senders)
		if err == nil {
			err = b.topic.Publish(ctx, data)
		}
		if err != nil {
			b.n.log.Warn("Could not gossip transactions", "txs", len(batch), "err", err)
		}
	}
}

// withPooledTxs replaces the transactions of b that are also in the pool by
// the pool's objects, which carry their already recovered senders: a
// validator then recovers each transaction's sender once (on admission),
// not again when it executes the block. Equal hashes mean equal signed
// transactions, so the block is unchanged. The senders of the rest are
// recovered here, on all cores (execution.RecoverSenders).
//
// The driver calls it once per proposed block, when the block first
// arrives (not in the gossip check, which every rewrapped copy of a
// proposal goes through: each would cost a block's recoveries). Under a
// load above what the chain takes, full pools refuse each other's
// transactions, and a validator found most of a proposal's transactions
// unpooled: their recoveries, one after another on the driver's
// goroutine, were a third of its execution time (issue 17). Most are now
// held from gossip (senderCache); the rest are recovered on all cores.
func (n *Node) withPooledTxs(b *block.Block) *block.Block {
	var missed []*types.Transaction
	fromGossip := 0
	held := cachedSigner{Signer: n.pool.Signer(), cache: n.refusedSenders}
	for i, tx := range b.Transactions {
		if p := n.pool.Get(tx.Hash()); p != nil {
			b.Transactions[i] = p
		} else if _, ok := n.refusedSenders.get(tx.Hash()); ok {
			_, _ = types.Sender(held, tx) // from the cache: no recovery, no error
			fromGossip++
		} else {
			missed = append(missed, tx)
		}
	}
	execution.RecoverSenders(n.pool.Signer(), missed, runtime.GOMAXPROCS(0))
	if n.metrics != nil {
		n.metrics.BlockRecoveries.Add(float64(len(missed)))
		n.metrics.BlockHeldSenders.Add(float64(fromGossip))
	}
	return b
}
