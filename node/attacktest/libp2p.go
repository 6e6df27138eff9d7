package attacktest

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/libp2p"
	"github.com/ethereum/go-ethereum/crypto"
)

// DialLibp2p starts a loopback-only libp2p host with a fresh node key that
// dials bootnodes (multiaddrs ending in /p2p/<id>, as a validator prints
// them) and joins the topics of chain chainID as a hostile Peer: the same
// attacker, aimed at real nodes or a process cluster. Close the host after
// the peer.
func DialLibp2p(bootnodes []string, chainID uint64, maxBlockSize int) (*Peer, *libp2p.Host, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, nil, fmt.Errorf("hostile peer: node key: %w", err)
	}
	h, err := libp2p.New(libp2p.Config{
		PrivateKey:     key,
		Bootnodes:      bootnodes,
		LoopbackOnly:   true,
		MaxMessageSize: p2p.ConsensusTopicMaxSize(maxBlockSize),
		Heartbeat:      100 * time.Millisecond,
		RedialMin:      50 * time.Millisecond,
		RedialMax:      time.Second,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("hostile peer: %w", err)
	}
	p, err := NewPeer(h, chainID, maxBlockSize)
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	return p, h, nil
}

// Topics returns the peer's consensus and transaction topics, for tests that
// wait for the mesh.
func (p *Peer) Topics() (consensus, txs p2p.Topic) { return p.cons, p.txs }
