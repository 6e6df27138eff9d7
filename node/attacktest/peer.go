package attacktest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Peer is a hostile participant on a p2p.Network: it joins the chain's
// consensus and transaction topics, records everything it is sent there
// (and relays none of it), and publishes whatever a test hands it.
type Peer struct {
	net     p2p.Network
	chainID uint64
	maxCons int
	cons    p2p.Topic
	txs     p2p.Topic

	mu       sync.Mutex
	consSeen [][]byte
	txSeen   [][]byte
}

// NewPeer joins the topics of chain chainID, whose blocks are at most
// maxBlockSize bytes, on net.
func NewPeer(net p2p.Network, chainID uint64, maxBlockSize int) (*Peer, error) {
	p := &Peer{net: net, chainID: chainID, maxCons: p2p.ConsensusTopicMaxSize(maxBlockSize)}
	var err error
	if p.cons, err = net.Join(p2p.ConsensusTopic(chainID), p.maxCons, p.record(&p.consSeen)); err != nil {
		return nil, fmt.Errorf("hostile peer: join consensus topic: %w", err)
	}
	if p.txs, err = net.Join(p2p.TxTopic(chainID), p2p.TxTopicMaxSize, p.record(&p.txSeen)); err != nil {
		p.cons.Close()
		return nil, fmt.Errorf("hostile peer: join tx topic: %w", err)
	}
	return p, nil
}

// record returns a validator that keeps a copy of every message and
// ignores it, so the peer relays nothing on its own.
func (p *Peer) record(into *[][]byte) p2p.Validator {
	return func(_ p2p.PeerID, data []byte) p2p.Verdict {
		p.mu.Lock()
		defer p.mu.Unlock()
		*into = append(*into, append([]byte(nil), data...))
		return p2p.Ignore
	}
}

// ID returns the peer's id.
func (p *Peer) ID() p2p.PeerID { return p.net.ID() }

// MaxConsensusMsg is the consensus topic's size limit.
func (p *Peer) MaxConsensusMsg() int { return p.maxCons }

// PublishConsensus publishes data on the consensus topic as it is.
func (p *Peer) PublishConsensus(ctx context.Context, data []byte) error {
	if err := p.cons.Publish(ctx, data); err != nil {
		return fmt.Errorf("hostile peer: %w", err)
	}
	return nil
}

// PublishTxs publishes txs as one transaction-topic batch, each with its
// true sender.
func (p *Peer) PublishTxs(ctx context.Context, txs []*types.Transaction) error {
	senders := make([]common.Address, len(txs))
	for i, tx := range txs {
		// A transaction with a garbage signature has no sender: it is
		// named as the zero address.
		senders[i], _ = types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
	}
	return p.PublishTxsClaiming(ctx, txs, senders)
}

// PublishTxsClaiming publishes txs as one transaction-topic batch naming
// senders as their senders, true or not.
func (p *Peer) PublishTxsClaiming(ctx context.Context, txs []*types.Transaction, senders []common.Address) error {
	data, err := wire.EncodeTxBatch(txs, senders)
	if err != nil {
		return fmt.Errorf("hostile peer: %w", err)
	}
	if err := p.txs.Publish(ctx, data); err != nil {
		return fmt.Errorf("hostile peer: %w", err)
	}
	return nil
}

// Consensus returns copies of the consensus messages the peer was sent.
func (p *Peer) Consensus() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.consSeen...)
}

// Txs returns the transactions of every batch the peer was sent, in order
// (undecodable batches are skipped).
func (p *Peer) Txs() []*types.Transaction {
	p.mu.Lock()
	seen := append([][]byte(nil), p.txSeen...)
	p.mu.Unlock()
	var out []*types.Transaction
	for _, data := range seen {
		txs, _, err := wire.DecodeTxBatch(data)
		if err == nil {
			out = append(out, txs...)
		}
	}
	return out
}

// Close leaves the topics; the network is the caller's.
func (p *Peer) Close() {
	p.cons.Close()
	p.txs.Close()
}

// LieAboutHead makes the peer claim, in the status handshake, the chain's
// genesis and a head it does not have, and answer every block-range request
// with nothing: the sync hijack of issue 16. maxBlockSize is the chain's
// block-size limit. The handshake stops with the peer's network.
func (p *Peer) LieAboutHead(genesisHash common.Hash, maxBlockSize int, head uint64) error {
	local := func() p2p.Status {
		return p2p.Status{ChainID: p.chainID, GenesisHash: genesisHash, Head: head, HeadHash: common.Hash{0xba, 0xd0}}
	}
	if _, err := p2p.NewHandshake(p.net, local, 0, slog.New(slog.DiscardHandler)); err != nil {
		return fmt.Errorf("hostile peer: %w", err)
	}
	empty := func(context.Context, p2p.PeerID, []byte) ([]byte, error) { return wire.EncodeBlockRange(nil) }
	if err := p.net.Handle(wire.SyncProtocol(p.chainID, maxBlockSize), empty); err != nil {
		return fmt.Errorf("hostile peer: %w", err)
	}
	return nil
}
