package watch

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Bounds of one poll.
const (
	// maxL1BlocksPerPoll and maxL2BlocksPerPoll bound the blocks one poll
	// reads; a watcher that fell behind catches up over several polls.
	maxL1BlocksPerPoll = 32
	maxL2BlocksPerPoll = 64
	// maxOpsPerPoll bounds the rollup_depositStatus calls of one poll.
	maxOpsPerPoll = 16
	// seedMargin is how many L1 blocks beyond the challenge window the
	// first poll reads the rollup's logs of, to know the batches in
	// their window.
	seedMargin = 10
	// pollTimeout bounds one poll.
	pollTimeout = 2 * time.Second
)

// Poller reads what changed on the devnet's nodes over JSON-RPC.
type Poller struct {
	cfg     Config
	mu      sync.Mutex
	clients map[string]*rpc.Client
	// primary is the validator the L1 was last read from.
	primary int
}

// NewPoller returns a Poller of the nodes of cfg.
func NewPoller(cfg Config) *Poller {
	return &Poller{cfg: cfg, clients: map[string]*rpc.Client{}}
}

// Close closes the RPC clients.
func (p *Poller) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.clients {
		c.Close()
	}
	p.clients = map[string]*rpc.Client{}
}

// client returns the RPC client of url, dialing it once.
func (p *Poller) client(ctx context.Context, url string) (*rpc.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[url]; ok {
		return c, nil
	}
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	p.clients[url] = c
	return c, nil
}

// Poll reads, from the cursors of s, what changed: the L1 and the
// validators, the sequencer's L2 and the challenger's verification, each
// concurrently and within pollTimeout. Nodes of s.Down are not asked.
// Obs.Now is left for the caller to set.
func (p *Poller) Poll(ctx context.Context, s State) Observation {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	var obs Observation
	var wg sync.WaitGroup
	wg.Go(func() {
		l1, err := p.pollL1(ctx, s)
		obs.L1, obs.L1Failed = l1, err != nil
	})
	wg.Go(func() { obs.Validators, obs.ValidatorSet = p.pollValidators(ctx, s) })
	if seq := p.cfg.Sequencer; seq != nil && !s.Down[seq.Name] {
		wg.Go(func() {
			l2, err := p.pollL2(ctx, s, seq.RPC)
			obs.L2, obs.L2Failed = l2, err != nil
		})
	}
	if ch := p.cfg.Challenger; ch != nil && !s.Down[ch.Name] {
		wg.Go(func() {
			v, err := p.pollChallenger(ctx, ch.RPC)
			obs.Challenger, obs.ChFailed = v, err != nil
		})
	}
	wg.Wait()
	return obs
}

// l1Order is the validators to read the L1 from, the last good one first,
// without the down ones.
func (p *Poller) l1Order(s State) []Node {
	p.mu.Lock()
	primary := p.primary
	p.mu.Unlock()
	var out []Node
	for k := range p.cfg.Validators {
		n := p.cfg.Validators[(primary+k)%len(p.cfg.Validators)]
		if !s.Down[n.Name] {
			out = append(out, n)
		}
	}
	return out
}

// pollL1 reads the L1 head and, past s.L1Next, the new blocks and the
// rollup's and the bridge's logs, from the first validator that answers.
func (p *Poller) pollL1(ctx context.Context, s State) (*L1Obs, error) {
	var lastErr error = errors.New("no validator runs")
	for _, n := range p.l1Order(s) {
		obs, err := p.readL1(ctx, s, n.RPC)
		if err == nil {
			p.mu.Lock()
			p.primary = slices.IndexFunc(p.cfg.Validators, func(v Node) bool { return v.Name == n.Name })
			p.mu.Unlock()
			return obs, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// readL1 is pollL1 from one validator.
func (p *Poller) readL1(ctx context.Context, s State, url string) (*L1Obs, error) {
	c, err := p.client(ctx, url)
	if err != nil {
		return nil, err
	}
	var head hexutil.Uint64
	if err := c.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
		return nil, fmt.Errorf("%s eth_blockNumber: %w", url, err)
	}
	obs := &L1Obs{Head: uint64(head)}
	if !s.L1Seen && !p.cfg.NewChain {
		// Seed: the logs of the last window, to know the batches in it.
		obs.Seed, obs.To = true, obs.Head
		obs.From = 1
		if span := p.cfg.ChallengeWindow + seedMargin; obs.Head > span {
			obs.From = obs.Head - span
		}
	} else {
		obs.From = max(s.L1Next, 1)
		obs.To = min(obs.Head, obs.From+maxL1BlocksPerPoll-1)
	}
	if obs.From > obs.To {
		return obs, nil
	}
	addrs := []common.Address{contract.Address, bridge.Address}
	if obs.Seed {
		logs, err := getLogs(ctx, c, obs.From, obs.To, addrs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
		obs.Logs = logs
		return obs, nil
	}
	blocks, logs, err := readBlocks(ctx, c, obs.From, obs.To, addrs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	obs.Blocks, obs.Logs = blocks, logs
	return obs, nil
}

// pollValidators reads every running validator's head, and the validator
// set from the first that answers.
func (p *Poller) pollValidators(ctx context.Context, s State) ([]ValidatorObs, []common.Address) {
	out := make([]ValidatorObs, len(p.cfg.Validators))
	var wg sync.WaitGroup
	for i, n := range p.cfg.Validators {
		out[i].Name = n.Name
		if s.Down[n.Name] {
			continue
		}
		wg.Go(func() {
			c, err := p.client(ctx, n.RPC)
			if err != nil {
				return
			}
			var head hexutil.Uint64
			if err := c.CallContext(ctx, &head, "eth_blockNumber"); err == nil {
				out[i].Head, out[i].OK = uint64(head), true
			}
		})
	}
	wg.Wait()
	var set []common.Address
	for _, n := range p.l1Order(s) {
		c, err := p.client(ctx, n.RPC)
		if err != nil {
			continue
		}
		var res struct {
			Validators []struct {
				Address common.Address `json:"address"`
			} `json:"validators"`
		}
		if err := c.CallContext(ctx, &res, "bilayer_validators"); err != nil {
			continue
		}
		set = []common.Address{}
		for _, v := range res.Validators {
			set = append(set, v.Address)
		}
		break
	}
	return out, set
}

// syncStatus is the part of rollup_syncStatus the watcher reads, from the
// sequencer or the challenger.
type syncStatus struct {
	UnsafeL2     blockRef `json:"unsafeL2"`
	SafeL2       blockRef `json:"safeL2"`
	FinalizedL2  blockRef `json:"finalizedL2"`
	Verification *struct {
		CheckedL2         hexutil.Uint64 `json:"checkedL2"`
		Agreed            hexutil.Uint64 `json:"agreed"`
		FirstDisagreement *struct {
			Number     hexutil.Uint64 `json:"number"`
			BatchIndex hexutil.Uint64 `json:"batchIndex"`
			Fields     []string       `json:"fields"`
		} `json:"firstDisagreement"`
	} `json:"verification"`
}

// blockRef is an L2 block reference of rollup_syncStatus.
type blockRef struct {
	Number hexutil.Uint64 `json:"number"`
}

// pollL2 reads the sequencer's heads and, past s.L2Next, its new blocks,
// the withdrawal queue's logs and the status of the operations of s.Ops.
func (p *Poller) pollL2(ctx context.Context, s State, url string) (*L2Obs, error) {
	c, err := p.client(ctx, url)
	if err != nil {
		return nil, err
	}
	var st syncStatus
	if err := c.CallContext(ctx, &st, "rollup_syncStatus"); err != nil {
		return nil, fmt.Errorf("%s rollup_syncStatus: %w", url, err)
	}
	obs := &L2Obs{Heads: Heads{Unsafe: uint64(st.UnsafeL2.Number), Safe: uint64(st.SafeL2.Number), Finalized: uint64(st.FinalizedL2.Number)}}
	if s.L2Seen && s.L2Next >= 1 && s.L2Next <= obs.Heads.Unsafe {
		to := min(obs.Heads.Unsafe, s.L2Next+maxL2BlocksPerPoll-1)
		blocks, logs, err := readBlocks(ctx, c, s.L2Next, to, []common.Address{bridge.WithdrawalQueueAddress})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
		obs.Blocks, obs.Logs = blocks, logs
	}
	ops, err := depositStatuses(ctx, c, s.Ops)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	obs.Ops = ops
	return obs, nil
}

// depositStatuses asks rollup_depositStatus of the oldest operations of
// ops (at most maxOpsPerPoll).
func depositStatuses(ctx context.Context, c *rpc.Client, ops map[block.OperationID]PendingOp) ([]OpStatus, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	ids := make([]block.OperationID, 0, len(ops))
	for id := range ops {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b block.OperationID) int {
		if a.L1Block != b.L1Block {
			return cmpU64(uint64(a.L1Block), uint64(b.L1Block))
		}
		return cmpU64(a.Index, b.Index)
	})
	ids = ids[:min(len(ids), maxOpsPerPoll)]
	type answer struct {
		Status  string          `json:"status"`
		L2Block *hexutil.Uint64 `json:"l2Block"`
		Reason  string          `json:"reason"`
	}
	answers := make([]answer, len(ids))
	batch := make([]rpc.BatchElem, len(ids))
	for i, id := range ids {
		batch[i] = rpc.BatchElem{Method: "rollup_depositStatus",
			Args: []any{hexutil.Uint64(id.L1Block), hexutil.Uint64(id.Index)}, Result: &answers[i]}
	}
	if err := c.BatchCallContext(ctx, batch); err != nil {
		return nil, fmt.Errorf("rollup_depositStatus: %w", err)
	}
	var out []OpStatus
	for i, id := range ids {
		if batch[i].Error != nil {
			continue
		}
		a := answers[i]
		st := OpStatus{ID: id, Status: a.Status, Reason: a.Reason}
		if a.L2Block != nil {
			st.L2Block = uint64(*a.L2Block)
		}
		out = append(out, st)
	}
	return out, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pollChallenger reads the challenger's verification.
func (p *Poller) pollChallenger(ctx context.Context, url string) (*Verification, error) {
	c, err := p.client(ctx, url)
	if err != nil {
		return nil, err
	}
	var st syncStatus
	if err := c.CallContext(ctx, &st, "rollup_syncStatus"); err != nil {
		return nil, fmt.Errorf("%s rollup_syncStatus: %w", url, err)
	}
	v := &Verification{}
	if st.Verification != nil {
		v.Checked, v.Agreed = uint64(st.Verification.CheckedL2), uint64(st.Verification.Agreed)
		if d := st.Verification.FirstDisagreement; d != nil {
			v.Disagreement = &Disagreement{L2Block: uint64(d.Number), BatchIndex: uint64(d.BatchIndex), Fields: d.Fields}
		}
	}
	return v, nil
}

// rpcBlock is the part of eth_getBlockByNumber (without transaction
// bodies) the watcher reads.
type rpcBlock struct {
	Number       hexutil.Uint64 `json:"number"`
	Hash         common.Hash    `json:"hash"`
	ParentHash   common.Hash    `json:"parentHash"`
	Transactions []common.Hash  `json:"transactions"`
}

// rpcTx is the part of eth_getTransactionByHash the watcher reads.
type rpcTx struct {
	Hash  common.Hash     `json:"hash"`
	From  common.Address  `json:"from"`
	To    *common.Address `json:"to"`
	Value *hexutil.Big    `json:"value"`
	Input hexutil.Bytes   `json:"input"`
}

// readBlocks reads blocks from to to (transaction hashes only) and the
// logs of addrs in them in one batch, then, in a second, the transactions
// an event line names (Describe).
func readBlocks(ctx context.Context, c *rpc.Client, from, to uint64, addrs []common.Address) ([]BlockObs, []types.Log, error) {
	n := int(to - from + 1)
	raw := make([]*rpcBlock, n)
	var logs []types.Log
	batch := make([]rpc.BatchElem, 0, n+1)
	for i := range n {
		batch = append(batch, rpc.BatchElem{Method: "eth_getBlockByNumber",
			Args: []any{hexutil.Uint64(from + uint64(i)), false}, Result: &raw[i]})
	}
	batch = append(batch, rpc.BatchElem{Method: "eth_getLogs", Args: []any{logFilter(from, to, addrs)}, Result: &logs})
	if err := c.BatchCallContext(ctx, batch); err != nil {
		return nil, nil, fmt.Errorf("read blocks %d-%d: %w", from, to, err)
	}
	for i, b := range batch {
		if b.Error != nil {
			return nil, nil, fmt.Errorf("%s %v: %w", b.Method, b.Args, b.Error)
		}
		if i < n && raw[i] == nil {
			return nil, nil, fmt.Errorf("block %d: not found", from+uint64(i))
		}
	}
	blocks := make([]BlockObs, n)
	var want []rpc.BatchElem
	var txs []*rpcTx
	for i, r := range raw {
		blocks[i] = BlockObs{Number: uint64(r.Number), Hash: r.Hash, Parent: r.ParentHash, TxHashes: r.Transactions}
		for _, h := range Describe(blocks[i], logs) {
			tx := new(rpcTx)
			txs = append(txs, tx)
			want = append(want, rpc.BatchElem{Method: "eth_getTransactionByHash", Args: []any{h}, Result: tx})
		}
	}
	if len(want) == 0 {
		return blocks, logs, nil
	}
	if err := c.BatchCallContext(ctx, want); err != nil {
		return nil, nil, fmt.Errorf("read transactions: %w", err)
	}
	for i, tx := range txs {
		if want[i].Error != nil || tx.Hash == (common.Hash{}) {
			continue
		}
		o := TxObs{Hash: tx.Hash, From: tx.From, To: tx.To, Value: (*big.Int)(tx.Value)}
		if len(tx.Input) > 0 {
			o.Selector = tx.Input[:min(len(tx.Input), 4)]
		}
		for j := range blocks {
			if slices.Contains(blocks[j].TxHashes, tx.Hash) {
				blocks[j].Txs = append(blocks[j].Txs, o)
				break
			}
		}
	}
	return blocks, logs, nil
}

// getLogs reads the logs of addrs in blocks from to to.
func getLogs(ctx context.Context, c *rpc.Client, from, to uint64, addrs []common.Address) ([]types.Log, error) {
	var logs []types.Log
	if err := c.CallContext(ctx, &logs, "eth_getLogs", logFilter(from, to, addrs)); err != nil {
		return nil, fmt.Errorf("eth_getLogs %d-%d: %w", from, to, err)
	}
	return logs, nil
}

// logFilter is the eth_getLogs filter of addrs in blocks from to to.
func logFilter(from, to uint64, addrs []common.Address) map[string]any {
	return map[string]any{"fromBlock": hexutil.Uint64(from), "toBlock": hexutil.Uint64(to), "address": addrs}
}
