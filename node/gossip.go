package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// Transaction gossip batching.
const (
	txBatchMaxCount = 1000
	txBatchMaxBytes = 1 << 20
	txBatchInterval = 25 * time.Millisecond
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
	if n.consTopic, err = n.net.Join(p2p.ConsensusTopic(id), n.maxConsensusMsg(), n.validateConsensus); err != nil {
		return fmt.Errorf("join consensus topic: %w", err)
	}
	if n.txTopic, err = n.net.Join(p2p.TxTopic(id), p2p.TxTopicMaxSize, n.validateTxBatch); err != nil {
		return fmt.Errorf("join tx topic: %w", err)
	}
	consSub, err := n.consTopic.Subscribe()
	if err != nil {
		return fmt.Errorf("subscribe consensus topic: %w", err)
	}
	txSub, err := n.txTopic.Subscribe()
	if err != nil {
		consSub.Cancel()
		return fmt.Errorf("subscribe tx topic: %w", err)
	}
	n.txGossip = &txBatcher{topic: n.txTopic, n: n, kick: make(chan struct{}, 1)}
	n.wg.Add(3)
	go func() { defer n.wg.Done(); n.readConsensus(ctx, consSub) }()
	go func() { defer n.wg.Done(); n.readTxs(ctx, txSub) }()
	go func() { defer n.wg.Done(); n.txGossip.run(ctx) }()
	return nil
}

// consensusMsg is a decoded, verified consensus gossip message.
type consensusMsg struct {
	proposal *wire.ProposalMsg
	block    *block.Block
	vote     *consensus.Vote
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
			return consensusMsg{}, p2p.Reject, err
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
			return consensusMsg{}, p2p.Reject, err
		}
		for _, v := range m.POL {
			if v.Height != p.Height || v.Type != consensus.Prevote || v.BlockID != p.BlockID {
				return consensusMsg{}, p2p.Reject, errors.New("proposal justification vote does not match the proposal")
			}
			if err := consensus.VerifyVote(n.chainID, v, vals); err != nil {
				return consensusMsg{}, p2p.Reject, fmt.Errorf("proposal justification: %w", err)
			}
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
		return consensusMsg{proposal: &m, block: b}, p2p.Accept, nil
	}
}

// validateConsensus is the consensus topic's gossip validator. A proposal
// it accepts is remembered, decoded and verified, for the reader.
func (n *Node) validateConsensus(from p2p.PeerID, data []byte) p2p.Verdict {
	m, verdict, err := n.decodeConsensus(data)
	if err != nil && verdict == p2p.Reject {
		n.log.Debug("Rejected consensus message", "peer", from, "err", err)
	}
	if verdict == p2p.Accept && m.proposal != nil {
		if key, ok := proposalKey(data, n.maxConsensusMsg()); ok {
			n.verified.put(key, m)
		}
	}
	return verdict
}

// proposalKey returns the cache key of a proposal message, if data is one.
func proposalKey(data []byte, maxSize int) ([32]byte, bool) {
	kind, payload, err := wire.DecodeEnvelope(data, maxSize)
	if err != nil || kind != wire.KindProposal {
		return [32]byte{}, false
	}
	key, err := wire.ProposalKey(payload)
	return key, err == nil
}

func (n *Node) readConsensus(ctx context.Context, sub p2p.Subscription) {
	defer sub.Cancel()
	for {
		msg, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if key, ok := proposalKey(msg.Data, n.maxConsensusMsg()); ok {
			if m, ok := n.verified.take(key); ok {
				n.post(ctx, evMessage{msg: m})
				continue
			}
		}
		m, verdict, err := n.decodeConsensus(msg.Data)
		if verdict != p2p.Accept {
			n.log.Debug("Dropped consensus message", "peer", msg.From, "err", err)
			continue
		}
		n.post(ctx, evMessage{msg: m})
	}
}

// verifiedCacheSize bounds the proposals remembered between the gossip
// validator and the reader.
const verifiedCacheSize = 64

// verifiedCache hands proposals the gossip validator decoded and verified
// to the topic reader, so a proposal (a whole block) is decoded, hashed
// and its signature recovered once, not twice.
type verifiedCache struct {
	mu    sync.Mutex
	m     map[[32]byte]consensusMsg
	order [][32]byte
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
	c.order = append(c.order, key)
	for len(c.order) > verifiedCacheSize {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *verifiedCache) take(key [32]byte) (consensusMsg, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.m[key]
	if ok {
		delete(c.m, key)
	}
	return m, ok
}

// encodeTxBatch encodes transactions for the tx topic.
func encodeTxBatch(txs []*types.Transaction) ([]byte, error) {
	raw := make([][]byte, len(txs))
	for i, tx := range txs {
		b, err := tx.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode tx %s: %w", tx.Hash(), err)
		}
		raw[i] = b
	}
	return rlp.EncodeToBytes(raw)
}

// decodeTxBatch decodes a tx-topic message.
func decodeTxBatch(data []byte) ([]*types.Transaction, error) {
	var raw [][]byte
	if err := rlp.DecodeBytes(data, &raw); err != nil {
		return nil, fmt.Errorf("decode tx batch: %w", err)
	}
	if len(raw) > 4*txBatchMaxCount {
		return nil, fmt.Errorf("tx batch of %d transactions, limit %d", len(raw), 4*txBatchMaxCount)
	}
	txs := make([]*types.Transaction, len(raw))
	for i, b := range raw {
		tx := new(types.Transaction)
		if err := tx.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("decode tx %d of batch: %w", i, err)
		}
		txs[i] = tx
	}
	return txs, nil
}

// validateTxBatch rejects undecodable batches; validity of each
// transaction depends on local state, so it is the pool's business.
func (n *Node) validateTxBatch(from p2p.PeerID, data []byte) p2p.Verdict {
	if _, err := decodeTxBatch(data); err != nil {
		n.log.Debug("Rejected tx batch", "peer", from, "err", err)
		return p2p.Reject
	}
	return p2p.Accept
}

func (n *Node) readTxs(ctx context.Context, sub p2p.Subscription) {
	defer sub.Cancel()
	for {
		msg, err := sub.Next(ctx)
		if err != nil {
			return
		}
		txs, err := decodeTxBatch(msg.Data)
		if err != nil {
			continue
		}
		added := 0
		for _, err := range n.pool.Add(txs...) {
			if err == nil {
				added++
			}
		}
		n.log.Debug("Received tx batch", "peer", msg.From, "txs", len(txs), "added", added)
	}
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
		data, err := encodeTxBatch(batch)
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
// transactions, so the block is unchanged.
func (n *Node) withPooledTxs(b *block.Block) *block.Block {
	for i, tx := range b.Transactions {
		if p := n.pool.Get(tx.Hash()); p != nil {
			b.Transactions[i] = p
		}
	}
	return b
}
