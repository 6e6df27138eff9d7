package node

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// Block sync parameters.
const (
	syncBatch       = 32
	syncInterval    = 250 * time.Millisecond
	statusRefresh   = time.Second
	syncRequestWait = 10 * time.Second
	syncApplyWait   = 10 * time.Second
)

type blockRangeRequest struct {
	From  uint64
	Count uint64
}

type syncedBlock struct {
	Block  []byte
	Commit []byte
}

// syncer fetches blocks with their certificates from peers that are ahead
// and hands them to the driver.
type syncer struct {
	n          *Node
	proto      p2p.Protocol
	kick       chan struct{}
	highest    atomic.Uint64
	start      atomic.Uint64
	lastHead   uint64
	headSince  time.Time
	lastStatus time.Time
}

func (n *Node) syncProtocol() p2p.Protocol {
	return p2p.BlockRangeProtocol(n.cfg.Genesis.ChainID, 2*int(n.cfg.Genesis.MaxBlockSize)+p2p.EnvelopeOverhead)
}

// localStatus is this node's side of the status handshake.
func (n *Node) localStatus() p2p.Status {
	head := n.chain.Head()
	return p2p.Status{ChainID: n.cfg.Genesis.ChainID, GenesisHash: n.chain.GenesisHash(), Head: head.Number(), HeadHash: head.Hash()}
}

// startSync serves the block-range protocol, starts the status handshake
// and the sync loop.
func (n *Node) startSync(ctx context.Context) error {
	s := &syncer{n: n, proto: n.syncProtocol(), kick: make(chan struct{}, 1)}
	if err := n.net.Handle(s.proto, n.serveBlocks); err != nil {
		return fmt.Errorf("serve block sync: %w", err)
	}
	hs, err := p2p.NewHandshake(n.net, n.localStatus, 0, n.log)
	if err != nil {
		return fmt.Errorf("status handshake: %w", err)
	}
	n.handshake = hs
	n.syncer = s
	n.wg.Add(1)
	go func() { defer n.wg.Done(); s.run(ctx) }()
	return nil
}

// serveBlocks answers a block-range request with consecutive committed
// blocks and their certificates, as many as fit the response limit.
func (n *Node) serveBlocks(_ context.Context, _ p2p.PeerID, req []byte) ([]byte, error) {
	var r blockRangeRequest
	if err := rlp.DecodeBytes(req, &r); err != nil {
		return nil, fmt.Errorf("bad block range request: %w", err)
	}
	if r.From == 0 {
		return nil, errors.New("bad block range request: blocks start at 1")
	}
	budget := n.syncProtocol().MaxResponse - int(n.cfg.Genesis.MaxBlockSize) - p2p.EnvelopeOverhead
	var out []syncedBlock
	size := 0
	for h := r.From; h < r.From+min(r.Count, syncBatch) && h <= n.chain.Head().Number(); h++ {
		b, err := n.chain.BlockByNumber(h)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", h, err)
		}
		c, err := n.chain.Commit(h)
		if err != nil {
			return nil, fmt.Errorf("commit %d: %w", h, err)
		}
		benc, err := b.Encode()
		if err != nil {
			return nil, err
		}
		cenc, err := rlp.EncodeToBytes(c)
		if err != nil {
			return nil, err
		}
		out = append(out, syncedBlock{Block: benc, Commit: cenc})
		if size += len(benc) + len(cenc); size > budget {
			break
		}
	}
	return rlp.EncodeToBytes(out)
}

// poke asks the sync loop to look for a peer now.
func (s *syncer) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *syncer) run(ctx context.Context) {
	t := time.NewTicker(syncInterval)
	defer t.Stop()
	s.headSince = time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		if time.Since(s.lastStatus) >= statusRefresh {
			s.refreshStatuses(ctx)
			s.lastStatus = time.Now()
		}
		s.step(ctx)
	}
}

func (s *syncer) refreshStatuses(ctx context.Context) {
	for _, p := range s.n.net.Peers() {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := s.n.handshake.Refresh(rctx, p.ID)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.n.log.Debug("Status refresh failed", "peer", p.ID, "err", err)
		}
	}
}

// step fetches the next blocks from the peer with the highest head, if it
// is ahead: at once when it is two or more blocks ahead, and after two
// block times without progress when it is one ahead (normally this node
// decides that block itself a moment later).
func (s *syncer) step(ctx context.Context) {
	head := s.n.chain.Head().Number()
	if head != s.lastHead {
		s.lastHead, s.headSince = head, time.Now()
	}
	var best p2p.PeerID
	var bestHead uint64
	for p, st := range s.n.handshake.Statuses() {
		if st.Head > bestHead {
			best, bestHead = p, st.Head
		}
	}
	if bestHead <= head {
		s.highest.Store(head)
		s.start.Store(head)
		return
	}
	if bestHead > s.highest.Load() {
		s.highest.Store(bestHead)
	}
	stalled := time.Since(s.headSince) > 2*s.n.cfg.Genesis.BlockTime.Duration
	if bestHead == head+1 && !stalled {
		return
	}
	if err := s.fetch(ctx, best, head+1, min(bestHead-head, syncBatch)); err != nil && ctx.Err() == nil {
		s.n.log.Debug("Block sync failed", "peer", best, "from", head+1, "err", err)
	}
}

func (s *syncer) fetch(ctx context.Context, peer p2p.PeerID, from, count uint64) error {
	req, err := rlp.EncodeToBytes(&blockRangeRequest{From: from, Count: count})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, syncRequestWait)
	defer cancel()
	resp, err := s.n.net.Request(rctx, peer, s.proto, req)
	if err != nil {
		return err
	}
	var items []syncedBlock
	if err := rlp.DecodeBytes(resp, &items); err != nil {
		s.n.net.Block(peer)
		return fmt.Errorf("undecodable sync response (peer blocked): %w", err)
	}
	var last uint64
	for i, it := range items {
		b, err := block.Decode(it.Block, int(s.n.cfg.Genesis.MaxBlockSize))
		if err != nil {
			return fmt.Errorf("sync item %d: %w", i, err)
		}
		var c block.Commit
		if err := rlp.DecodeBytes(it.Commit, &c); err != nil {
			return fmt.Errorf("sync item %d commit: %w", i, err)
		}
		if b.Number() != from+uint64(i) {
			return fmt.Errorf("sync item %d is block %d, want %d", i, b.Number(), from+uint64(i))
		}
		s.n.post(ctx, evSynced{block: b, commit: &c})
		last = b.Number()
	}
	// Wait for the driver to apply what it was given before asking again,
	// so the same range is not fetched twice.
	deadline := time.Now().Add(syncApplyWait)
	for last > 0 && s.n.chain.Head().Number() < last && time.Now().Before(deadline) {
		if !sleepOrDone(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
		if st := s.n.Status(); st.Step != "" && len(st.Step) > 6 && st.Step[:6] == "halted" {
			return errors.New("driver halted")
		}
	}
	return nil
}

// syncProgress is the eth_syncing view: nil unless two or more blocks
// behind the best peer.
func (n *Node) syncProgress() *ethrpc.SyncProgress {
	if n.syncer == nil {
		return nil
	}
	head, highest := n.chain.Head().Number(), n.syncer.highest.Load()
	if highest <= head+1 {
		return nil
	}
	return &ethrpc.SyncProgress{StartingBlock: hexU64(n.syncer.start.Load()), CurrentBlock: hexU64(head), HighestBlock: hexU64(highest)}
}
