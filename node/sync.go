package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// Block sync parameters.
const (
	syncBatch       = wire.MaxSyncBatch
	syncInterval    = 250 * time.Millisecond
	statusRefresh   = time.Second
	syncRequestWait = 10 * time.Second
	syncApplyWait   = 10 * time.Second
	// syncBackoffMax caps how long a peer that failed to serve is passed
	// over; each failure in a row doubles the wait from syncInterval.
	syncBackoffMax = 30 * time.Second
	// proveAhead is how far past the next height a claimed head may be for
	// this node to check its commit certificate: beyond it the validator
	// set is not derived cheaply (nor known, after an epoch change).
	proveAhead = 64
	// proveInterval is how often one peer's claimed head is checked.
	proveInterval = time.Second
)

// Errors of sync peers: errLie marks an answer that proves the peer does not
// serve what it claims (it is scored down); errUnverifiable a head whose
// certificate this node cannot check yet.
var (
	errLie          = errors.New("peer does not serve what it claims")
	errUnverifiable = errors.New("claimed head cannot be verified yet")
)

// syncer fetches blocks with their certificates from peers that are ahead
// and hands them to the driver (issue 16 item 2). A peer's claimed head (from
// the status handshake) is believed once the peer showed a valid commit
// certificate for it, or served blocks with valid certificates and has not
// failed since; sync rotates among the peers that are ahead, believed ones
// first, and passes over, with a growing backoff, a peer that failed to
// serve. A peer that answers with nothing, or with blocks or certificates
// that do not verify, although it claims the range, is penalised.
type syncer struct {
	n       *Node
	proto   p2p.Protocol
	kick    chan struct{}
	highest atomic.Uint64
	start   atomic.Uint64
	// passed is a height this node has not decided that validators have
	// moved past (movedPast); refresh asks the loop for fresh statuses.
	passed     atomic.Uint64
	refresh    atomic.Bool
	lastHead   uint64
	headSince  time.Time
	lastStatus time.Time

	// Only the sync loop touches these.
	peers map[p2p.PeerID]*syncPeer
	turn  int
}

// syncPeer is what sync has learned about one peer.
type syncPeer struct {
	strikes int       // failures to serve in a row
	until   time.Time // passed over until then
	proven  uint64    // highest claimed head whose certificate verified
	served  bool      // served verified blocks, no failure since
	checked time.Time // when its head was last checked
}

func (n *Node) syncProtocol() p2p.Protocol {
	return wire.SyncProtocol(n.cfg.Genesis.ChainID, int(n.cfg.Genesis.MaxBlockSize))
}

// localStatus is this node's side of the status handshake.
func (n *Node) localStatus() p2p.Status {
	head := n.chain.Head()
	return p2p.Status{ChainID: n.cfg.Genesis.ChainID, GenesisHash: n.chain.GenesisHash(), Head: head.Number(), HeadHash: head.Hash()}
}

// startSync serves the block-range protocol, starts the status handshake
// and the sync loop.
func (n *Node) startSync(ctx context.Context) error {
	s := &syncer{n: n, proto: n.syncProtocol(), kick: make(chan struct{}, 1), peers: make(map[p2p.PeerID]*syncPeer)}
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
// blocks and their certificates, as many as fit the response limit, or
// with the certificate of one block alone.
func (n *Node) serveBlocks(_ context.Context, _ p2p.PeerID, req []byte) ([]byte, error) {
	r, err := wire.DecodeBlockRangeRequest(req)
	if err != nil {
		return nil, err
	}
	head := n.chain.Head().Number()
	if r.CommitOnly {
		if r.From > head {
			return wire.EncodeBlockRange(nil)
		}
		c, err := n.chain.Commit(r.From)
		if err != nil {
			return nil, fmt.Errorf("commit %d: %w", r.From, err)
		}
		cenc, err := rlp.EncodeToBytes(c)
		if err != nil {
			return nil, fmt.Errorf("encode commit %d: %w", r.From, err)
		}
		return wire.EncodeBlockRange([]wire.SyncedBlock{{Commit: cenc}})
	}
	budget := n.syncProtocol().MaxResponse - int(n.cfg.Genesis.MaxBlockSize) - p2p.EnvelopeOverhead
	var out []wire.SyncedBlock
	size := 0
	for h := r.From; h < r.From+min(r.Count, syncBatch) && h <= head; h++ {
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
			return nil, fmt.Errorf("encode block %d: %w", h, err)
		}
		cenc, err := rlp.EncodeToBytes(c)
		if err != nil {
			return nil, fmt.Errorf("encode commit %d: %w", h, err)
		}
		out = append(out, wire.SyncedBlock{Block: benc, Commit: cenc})
		if size += len(benc) + len(cenc); size > budget {
			break
		}
	}
	return wire.EncodeBlockRange(out)
}

// movedPast records that validators sent verified messages for the height
// after h, the height this node is deciding: they have decided h, so sync
// fetches it at once from a peer that has it, with fresh statuses, rather
// than after two block times (a peer one block ahead is normally this node
// a moment early). A validator started a moment after the others missed
// the votes of its first height and caught up only that way, 1.5 s later
// (the devnet's start → first block on every validator).
func (s *syncer) movedPast(h uint64) {
	if s.passed.Swap(h) != h {
		s.refresh.Store(true)
		s.poke()
	}
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
		if s.refresh.Swap(false) || time.Since(s.lastStatus) >= statusRefresh {
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

// candidate is a peer that claims to be ahead.
type candidate struct {
	id       p2p.PeerID
	status   p2p.Status
	peer     *syncPeer
	believed bool
}

// step fetches the next blocks from a peer that is ahead: at once when one
// claims to be two or more blocks ahead, and when one is one ahead, after
// two block times without progress (normally this node decides that block
// itself a moment later) or once validators moved past it (movedPast).
func (s *syncer) step(ctx context.Context) {
	head := s.n.chain.Head().Number()
	now := time.Now()
	if head != s.lastHead {
		s.lastHead, s.headSince = head, now
	}
	statuses := s.n.handshake.Statuses()
	for id := range s.peers {
		if _, ok := statuses[id]; !ok {
			delete(s.peers, id) // disconnected: what it proved no longer holds
		}
	}
	highest := head
	var cands []candidate
	for id, st := range statuses {
		sp := s.peers[id]
		if sp == nil {
			sp = &syncPeer{}
			s.peers[id] = sp
		}
		believed := sp.proven >= st.Head || sp.served
		if believed {
			highest = max(highest, st.Head)
		}
		if st.Head > head && !now.Before(sp.until) {
			cands = append(cands, candidate{id: id, status: st, peer: sp, believed: believed})
		}
	}
	s.highest.Store(highest)
	if highest <= head {
		s.start.Store(head)
	}
	if len(cands) == 0 {
		return
	}
	s.check(ctx, cands, head)
	cands = slices.DeleteFunc(cands, func(c candidate) bool { return now.Before(c.peer.until) })
	if len(cands) == 0 {
		return
	}
	cands = s.preferred(cands)
	bestClaim := head
	for _, c := range cands {
		bestClaim = max(bestClaim, c.status.Head)
	}
	stalled := time.Since(s.headSince) > 2*s.n.cfg.Genesis.BlockTime.Duration || s.passed.Load() == head+1
	if bestClaim == head+1 && !stalled {
		return
	}
	c := s.choose(cands)
	n, err := s.fetch(ctx, c.id, head+1, min(c.status.Head-head, syncBatch))
	if err != nil {
		if ctx.Err() == nil {
			s.fail(c, err)
		}
		return
	}
	if n > 0 {
		c.peer.strikes, c.peer.served = 0, true
	}
}

// check checks the claim of one candidate whose head is not believed, each
// at most every proveInterval: a proven head is believed from then on, a
// lie is penalised at once, whether or not sync would have asked that peer.
func (s *syncer) check(ctx context.Context, cands []candidate, head uint64) {
	now := time.Now()
	for i, c := range cands {
		if c.believed || now.Sub(c.peer.checked) < proveInterval {
			continue
		}
		c.peer.checked = now
		err := s.prove(ctx, c.id, c.status, head)
		switch {
		case err == nil:
			c.peer.proven = c.status.Head
			cands[i].believed = true
			s.highest.Store(max(s.highest.Load(), c.status.Head))
		case errors.Is(err, errUnverifiable):
			// Not believed, but not caught lying: it may still serve.
		default:
			s.fail(c, err)
		}
		return
	}
}

// preferred returns the candidates whose heads are believed, or all of them
// if none is: an unproven claim counts only when nothing better exists.
func (s *syncer) preferred(cands []candidate) []candidate {
	var believed []candidate
	for _, c := range cands {
		if c.believed {
			believed = append(believed, c)
		}
	}
	if len(believed) > 0 {
		return believed
	}
	return cands
}

// choose picks the peer to ask next: the candidates take turns.
func (s *syncer) choose(cands []candidate) candidate {
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(a.id, b.id) })
	s.turn++
	return cands[s.turn%len(cands)]
}

// fail passes over the peer for a while and, if err shows that it does not
// serve what it claims, scores it down.
func (s *syncer) fail(c candidate, err error) {
	c.peer.strikes++
	c.peer.served = false
	c.peer.until = time.Now().Add(min(syncInterval<<min(c.peer.strikes, 16), syncBackoffMax))
	s.n.log.Debug("Block sync failed", "peer", c.id, "claimedHead", c.status.Head, "strikes", c.peer.strikes, "err", err)
	if errors.Is(err, errLie) {
		if perr := s.n.net.Penalize(c.id); perr != nil && !errors.Is(perr, p2p.ErrClosed) {
			s.n.log.Debug("Penalize sync peer", "peer", c.id, "err", perr)
		}
	}
}

// prove asks the peer for the certificate of the head it claims and checks
// it: for that height, for the claimed head hash, and signed by 2/3+ of the
// validator set this node derives for that height. Past proveAhead the set
// is not derived: the peer is asked for the certificate of this node's
// next height instead, which it must hold if its claim is true and which
// this node checks against the exact set; if it passes, the claim is still
// unverifiable, not a lie. So is a certificate whose signers this node
// does not know (the set may have changed since its head).
func (s *syncer) prove(ctx context.Context, peer p2p.PeerID, st p2p.Status, head uint64) error {
	at, hash := st.Head, &st.HeadHash
	if st.Head > head+1+proveAhead {
		at, hash = head+1, nil
	}
	items, err := s.request(ctx, peer, wire.BlockRangeRequest{From: at, Count: 1, CommitOnly: true})
	if err != nil {
		return err
	}
	if len(items) != 1 {
		return fmt.Errorf("%w: %d items for the certificate of block %d (claimed head %d)", errLie, len(items), at, st.Head)
	}
	var c block.Commit
	if err := rlp.DecodeBytes(items[0].Commit, &c); err != nil {
		return fmt.Errorf("%w: certificate of block %d: %v", errLie, at, err)
	}
	if c.Height != at || (hash != nil && c.BlockHash != *hash) {
		return fmt.Errorf("%w: certificate for %d %s, asked for %d (claimed head %d %s)", errLie, c.Height, c.BlockHash, at, st.Head, st.HeadHash)
	}
	if err := s.n.verifyBlockCommit(&c, consensus.Height(at)); err != nil {
		if at > head+1 && (errors.Is(err, consensus.ErrUnknownValidator) || errors.Is(err, consensus.ErrInsufficientPower)) {
			return fmt.Errorf("%w: %v", errUnverifiable, err)
		}
		return fmt.Errorf("%w: certificate of block %d: %v", errLie, at, err)
	}
	if hash == nil {
		return fmt.Errorf("%w: head %d is more than %d blocks ahead", errUnverifiable, st.Head, proveAhead)
	}
	return nil
}

// verifyBlockCommit checks a block certificate against the validator set
// of height h.
func (n *Node) verifyBlockCommit(bc *block.Commit, h consensus.Height) error {
	c, err := wire.FromBlockCommit(bc)
	if err != nil {
		return fmt.Errorf("certificate of block %d: %w", h, err)
	}
	vals, err := n.validatorsAt(h)
	if err != nil {
		return err
	}
	if err := consensus.VerifyCommit(n.chainID, c, vals); err != nil {
		return fmt.Errorf("certificate of block %d: %w", h, err)
	}
	return nil
}

// request sends one block-range request and decodes the answer; an
// undecodable answer is a lie.
func (s *syncer) request(ctx context.Context, peer p2p.PeerID, r wire.BlockRangeRequest) ([]wire.SyncedBlock, error) {
	req, err := wire.EncodeBlockRangeRequest(r)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, syncRequestWait)
	defer cancel()
	resp, err := s.n.net.Request(rctx, peer, s.proto, req)
	if err != nil {
		return nil, err
	}
	items, err := wire.DecodeBlockRange(resp)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errLie, err)
	}
	return items, nil
}

// fetch asks peer for count blocks from height from, hands them to the
// driver and waits until it applied them. It returns how many it was given.
// The first block's certificate is checked here against the exact set of
// its height (the driver checks every one): an empty answer or one that
// does not verify is a lie, since the peer claims the range.
func (s *syncer) fetch(ctx context.Context, peer p2p.PeerID, from, count uint64) (int, error) {
	items, err := s.request(ctx, peer, wire.BlockRangeRequest{From: from, Count: count})
	if err != nil {
		return 0, err
	}
	if len(items) == 0 {
		return 0, fmt.Errorf("%w: no blocks from %d", errLie, from)
	}
	blocks := make([]*block.Block, len(items))
	commits := make([]*block.Commit, len(items))
	for i, it := range items {
		b, err := block.Decode(it.Block, int(s.n.cfg.Genesis.MaxBlockSize))
		if err != nil {
			return 0, fmt.Errorf("%w: sync item %d: %v", errLie, i, err)
		}
		var c block.Commit
		if err := rlp.DecodeBytes(it.Commit, &c); err != nil {
			return 0, fmt.Errorf("%w: sync item %d commit: %v", errLie, i, err)
		}
		if b.Number() != from+uint64(i) || c.Height != b.Number() || c.BlockHash != b.Hash() {
			return 0, fmt.Errorf("%w: sync item %d is block %d with a certificate for %d, want %d", errLie, i, b.Number(), c.Height, from+uint64(i))
		}
		blocks[i], commits[i] = b, &c
	}
	if err := s.n.verifyBlockCommit(commits[0], consensus.Height(from)); err != nil {
		return 0, fmt.Errorf("%w: %v", errLie, err)
	}
	for i, b := range blocks {
		s.n.post(ctx, evSynced{block: b, commit: commits[i]})
	}
	// Wait for the driver to apply what it was given before asking again,
	// so the same range is not fetched twice.
	last := blocks[len(blocks)-1].Number()
	deadline := time.Now().Add(syncApplyWait)
	for s.n.chain.Head().Number() < last && time.Now().Before(deadline) {
		if !sleepOrDone(ctx, 20*time.Millisecond) {
			return len(items), ctx.Err()
		}
		if st := s.n.Status(); len(st.Step) > 6 && st.Step[:6] == "halted" {
			return len(items), errors.New("driver halted")
		}
	}
	return len(items), nil
}

// syncProgress is the eth_syncing view: nil unless two or more blocks
// behind the best peer whose head this node believes.
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
