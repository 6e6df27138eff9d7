package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

type signedTx struct {
	hash    common.Hash
	raw     []byte
	call    []byte // its eth_sendRawTransaction call after the id (sendRawCall)
	account int
}

// Load is a set of presigned transfers, per account in nonce order.
type Load struct {
	perAccount [][]signedTx
	total      int
}

// Len returns the number of transfers in the load.
func (l *Load) Len() int { return l.total }

// Presign signs count transfers spread over accounts (each account's
// nonces consecutive) to random recipients, advancing the accounts' nonces:
// with no recipients given, each to a new random address (every transfer
// then creates an account, so the state grows with the load); otherwise
// each to one drawn from recipients. The draw comes from seed, so a load is
// repeatable; signing runs on every core, so presigning a large load takes
// seconds, not minutes.
func Presign(chainID *big.Int, accounts []*Account, count int, fees Fees, seed uint64, recipients []common.Address) (*Load, error) {
	if len(accounts) == 0 {
		return nil, errors.New("presign: no accounts")
	}
	if count < 0 {
		return nil, fmt.Errorf("presign: negative count %d", count)
	}
	signer := types.LatestSignerForChainID(chainID)
	rng := rand.New(rand.NewPCG(seed, uint64(count)))
	type job struct {
		account int
		nonce   uint64
		to      common.Address
	}
	jobs := make([]job, count)
	for i := range jobs {
		ai := i % len(accounts)
		jobs[i] = job{account: ai, nonce: accounts[ai].Nonce}
		if len(recipients) > 0 {
			jobs[i].to = recipients[rng.IntN(len(recipients))]
		} else {
			for j := range jobs[i].to {
				jobs[i].to[j] = byte(rng.UintN(256))
			}
		}
		accounts[ai].Nonce++
	}
	signed := make([]signedTx, count)
	workers := max(1, min(runtime.GOMAXPROCS(0), count/256))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < count; i += workers {
				j := jobs[i]
				tx, err := types.SignNewTx(accounts[j.account].Key, signer, &types.DynamicFeeTx{ChainID: chainID, Nonce: j.nonce,
					GasTipCap: fees.TipCap, GasFeeCap: fees.FeeCap, Gas: 21000, To: &j.to, Value: big.NewInt(1)})
				if err != nil {
					errs[w] = fmt.Errorf("presign: %w", err)
					return
				}
				raw, err := tx.MarshalBinary()
				if err != nil {
					errs[w] = fmt.Errorf("presign: encode: %w", err)
					return
				}
				signed[i] = signedTx{hash: tx.Hash(), raw: raw, call: sendRawCall(raw), account: j.account}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l := &Load{perAccount: make([][]signedTx, len(accounts)), total: count}
	for _, tx := range signed {
		l.perAccount[tx.account] = append(l.perAccount[tx.account], tx)
	}
	return l, nil
}

// Config sets up one run.
type Config struct {
	// URLs are the RPC endpoints transactions are sent to (round robin by
	// connection).
	URLs []string
	// WatchURL is the endpoint whose blocks are read.
	WatchURL string
	// Rate is the offered load in transactions per second.
	Rate float64
	// Connections is the number of concurrent sending connections.
	Connections int
	// Drain is how long to keep watching after the last send for the rest
	// to be included.
	Drain time.Duration
	// PollInterval is how often the watcher asks for a new block (default
	// 20 ms); latencies are late by up to this much.
	PollInterval time.Duration
	// SendInterval is how often each connection sends what is due, in one
	// batch (default 10 ms). Longer means fewer, larger batches: less CPU
	// per transaction for the load generator and the node's HTTP
	// handling, and up to this much added to a transaction's wait.
	SendInterval time.Duration
	// CPU names processes (0: this one, the load generator) whose CPU use
	// over the send window Run reports in Result.CPU, with what every other
	// process used under OtherProcesses, so a reader can see how the
	// machine's cores were shared. Linux only; elsewhere ignored.
	CPU map[string]int
	// HeightsFrom, if set, is a validator's metrics URL: Run reads its
	// height metrics before and after the send window (Result.Heights).
	HeightsFrom string
	// now is the send loop's clock (nil: time.Now); a test moves it on to
	// stand for a node that answers late.
	now func() time.Time
}

// Result is what one run measured.
type Result struct {
	OfferedRate float64 `json:"offered_tps"`
	// Seed is the seed the step's recipients were drawn from (Step):
	// the same rate, seed and duration offered again on a chain of the
	// same history replay the step (the L1 bench's plateau runs on a
	// fresh chain replayed to the peak's age).
	Seed uint64 `json:"seed,omitempty"`
	// Sent counts the distinct transactions offered at least once,
	// SendErrors every refusal (a transaction refused because the pool
	// was full is offered again, and may be refused more than once).
	Sent       int `json:"sent"`
	SendErrors int `json:"send_errors"`
	// Unsent counts the load's transfers never offered: sending stops
	// when the step's time is up, and an account's transfers after one
	// refused for good are dropped. Their nonces were used when the load
	// was signed, so the accounts' nonces must be read again (Partial).
	Unsent   int `json:"unsent,omitempty"`
	Included int `json:"included"`
	// FinalizedTPS is the steady state's finalized throughput (see
	// watcher.result); FirstBlockAfter is when the first block carrying
	// the load was seen, after the first send: the pipeline's fill time,
	// which FinalizedTPS leaves out.
	FinalizedTPS    float64       `json:"finalized_tps"`
	FirstBlockAfter time.Duration `json:"first_block_after_ns,omitempty"`
	// HalvesTPS is the steady state's finalized throughput in each half of
	// its span (watcher.result), split at the last block of its first
	// half, or zeros with fewer than two blocks on either side. Every
	// transfer creates an account and a validator's cost grows with the
	// state, so a long step's second half runs on a chain older by its
	// first half's transfers: the halves show what that cost within the
	// step (issue 17, session 41).
	HalvesTPS     [2]float64    `json:"halves_tps,omitzero"`
	LatencyP50    time.Duration `json:"latency_p50_ns"`
	LatencyP99    time.Duration `json:"latency_p99_ns"`
	Blocks        int           `json:"blocks"`
	BlockInterval time.Duration `json:"block_interval_ns"`
	FirstError    string        `json:"first_error,omitempty"`
	// CPU is the cores each process of Config.CPU used over the send
	// window (CPU seconds / wall seconds).
	CPU map[string]float64 `json:"cpu_cores,omitempty"`
	// CPUThroughDrain is the CPU seconds each process of Config.CPU used
	// from the first send until every accepted transfer was included (or
	// Drain passed). Over it each transfer the step admitted was also
	// committed, so the validators' seconds over Included are what a
	// transfer cost them, its admission, the step's refusals and the
	// backlog's drain counted. Over the send window alone an overloaded
	// step charges the admission of a backlog finalized after it to the
	// transfers finalized within it (issue 17, session 33).
	CPUThroughDrain map[string]float64 `json:"cpu_seconds_through_drain,omitempty"`
	// StolenCores is how many of the machine's cores the hypervisor took
	// over the send window (steal time over wall time; MachineTimes), when
	// Config.CPU is set: 0 on a machine of its own, and on a shared host
	// the part of the machine the step did not have. It is not in CPU.
	StolenCores float64 `json:"stolen_cores,omitempty"`
	// Gauge is the median CPU time a fixed piece of work took the load
	// generator over the send window (gauge.go), when Config.CPU is set:
	// against the same on an idle machine (GaugeMedian), how fast the
	// cores were during the step, which steal alone does not show.
	Gauge time.Duration `json:"gauge_ns,omitempty"`
	// Heights is what Config.HeightsFrom's validator said of its heights
	// over the send window; HeightsError why it could not be read.
	Heights      *Heights `json:"heights,omitempty"`
	HeightsError string   `json:"heights_error,omitempty"`
}

// Partial reports whether some of the load was not included (refused,
// never offered, or still pooled): the accounts' nonces then no longer
// follow from the load and must be read again (ResyncNonces) before the
// next one is signed.
func (r Result) Partial() bool { return r.Included < r.Sent || r.Unsent > 0 }

// Run offers the whole load at cfg.Rate and measures what is finalized.
func Run(ctx context.Context, cfg Config, load *Load) (Result, error) {
	if cfg.Rate <= 0 || len(cfg.URLs) == 0 {
		return Result{}, errors.New("run: need a positive rate and at least one URL")
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 4
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	w, err := newWatcher(ctx, cfg.WatchURL, cfg.PollInterval)
	if err != nil {
		return Result{}, err
	}
	defer w.close()
	watchCtx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.run(watchCtx) }()

	var heightsStart heightsSnapshot
	var heightsErr error
	if cfg.HeightsFrom != "" {
		heightsStart, heightsErr = scrapeHeights(ctx, cfg.HeightsFrom)
	}
	cpuStart := cpuTimes(cfg.CPU)
	stealStart, stealErr := stolen(cfg.CPU)
	stopGauge := func() time.Duration { return 0 }
	if len(cfg.CPU) > 0 {
		stopGauge = StartGauge(GaugeInterval)
	}
	start := time.Now()
	sent, accepted, errs, firstErr := sendAll(ctx, cfg, load, w)
	sendEnd := time.Now()
	cpuEnd := cpuTimes(cfg.CPU)
	stealEnd, stealEndErr := stolen(cfg.CPU)
	gauge := stopGauge()
	var heights *Heights
	if cfg.HeightsFrom != "" && heightsErr == nil {
		var end heightsSnapshot
		if end, heightsErr = scrapeHeights(ctx, cfg.HeightsFrom); heightsErr == nil {
			h := end.since(heightsStart)
			heights = &h
		}
	}
	// Keep watching until everything sent is included or Drain passes.
	deadline := sendEnd.Add(cfg.Drain)
	for time.Now().Before(deadline) && w.includedCount() < accepted {
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
		if ctx.Err() != nil {
			break
		}
	}
	cpuDrained := cpuTimes(cfg.CPU)
	stopWatch()
	wg.Wait()
	res := w.result(start, sendEnd)
	res.CPUThroughDrain = cpuSeconds(cpuStart, cpuDrained)
	res.OfferedRate, res.Sent, res.SendErrors, res.Unsent = cfg.Rate, sent, errs, load.Len()-sent
	res.CPU = coresUsed(cpuStart, cpuEnd, sendEnd.Sub(start))
	res.Gauge = gauge
	if stealErr == nil && stealEndErr == nil && sendEnd.After(start) {
		res.StolenCores = max(0, (stealEnd-stealStart).Seconds()/sendEnd.Sub(start).Seconds())
	}
	res.Heights = heights
	if heightsErr != nil {
		res.HeightsError = heightsErr.Error()
	}
	if firstErr != nil {
		res.FirstError = firstErr.Error()
	}
	return res, ctx.Err()
}

// watcher reads every new block and matches transactions to send times.
type watcher struct {
	client *rpc.Client
	poll   time.Duration
	mu     sync.Mutex
	sentAt map[common.Hash]time.Time
	lat    []time.Duration
	blocks []time.Time
	txsIn  []int // our transactions per observed block
	next   uint64
}

func newWatcher(ctx context.Context, url string, poll time.Duration) (*watcher, error) {
	client, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", url, err)
	}
	var head hexutil.Uint64
	if err := client.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
		client.Close()
		return nil, fmt.Errorf("watch %s: %w", url, err)
	}
	return &watcher{client: client, poll: poll, sentAt: make(map[common.Hash]time.Time), next: uint64(head) + 1}, nil
}

func (w *watcher) close() { w.client.Close() }

// markSentAll records t as the send time of each transaction in batch not
// sent before: a retried transaction's latency runs from its first offer.
func (w *watcher) markSentAll(batch []signedTx, t time.Time) {
	w.mu.Lock()
	for _, tx := range batch {
		if _, ok := w.sentAt[tx.hash]; !ok {
			w.sentAt[tx.hash] = t
		}
	}
	w.mu.Unlock()
}

// sendBatch sends a batch with raw, or with client when the endpoint is
// not HTTP.
func sendBatch(ctx context.Context, raw *rawSender, client *rpc.Client, batch []signedTx) ([]error, error) {
	if raw != nil {
		return raw.send(ctx, batch)
	}
	elems := make([]rpc.BatchElem, len(batch))
	hashes := make([]common.Hash, len(batch))
	for i, tx := range batch {
		elems[i] = rpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{hexutil.Bytes(tx.raw)}, Result: &hashes[i]}
	}
	if err := client.BatchCallContext(ctx, elems); err != nil {
		return nil, err
	}
	errs := make([]error, len(batch))
	for i, e := range elems {
		errs[i] = e.Error
	}
	return errs, nil
}

func (w *watcher) includedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.lat)
}

func (w *watcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		var head hexutil.Uint64
		if err := w.client.CallContext(ctx, &head, "eth_blockNumber"); err == nil {
			for ; w.next <= uint64(head) && ctx.Err() == nil; w.next++ {
				var blk struct {
					Transactions []common.Hash `json:"transactions"`
				}
				if err := w.client.CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.Uint64(w.next), false); err != nil {
					break
				}
				w.observe(blk.Transactions, time.Now())
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.poll):
		}
	}
}

func (w *watcher) observe(txs []common.Hash, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ours := 0
	for _, h := range txs {
		if t, ok := w.sentAt[h]; ok {
			w.lat = append(w.lat, at.Sub(t))
			delete(w.sentAt, h)
			ours++
		}
	}
	w.blocks = append(w.blocks, at)
	w.txsIn = append(w.txsIn, ours)
}

// halvesLocked splits the steady state from block first (its start, its
// transactions not counted) to block last at the middle of their times:
// the first half ends with the last block at or before the middle, the
// second runs from that block to block last. Each half's throughput is
// its blocks' transactions over its time. Both are zero unless each half
// has at least two blocks' worth of span (a boundary block and one more).
func (w *watcher) halvesLocked(first, last int) [2]float64 {
	mid := w.blocks[first].Add(w.blocks[last].Sub(w.blocks[first]) / 2)
	split := first
	for i := first + 1; i < last && !w.blocks[i].After(mid); i++ {
		split = i
	}
	if split-first < 2 || last-split < 2 {
		return [2]float64{}
	}
	var halves [2]float64
	for h, span := range [][2]int{{first, split}, {split, last}} {
		n := 0
		for i := span[0] + 1; i <= span[1]; i++ {
			n += w.txsIn[i]
		}
		if d := w.blocks[span[1]].Sub(w.blocks[span[0]]).Seconds(); d > 0 {
			halves[h] = float64(n) / d
		}
	}
	return halves
}

// result summarises the blocks observed between start and the end of
// sending. Throughput is the steady state's: the load's transactions in
// the blocks seen after the first block that carried the load, up to the
// last one seen before sending ended, over the time between those two
// blocks. The first loaded block is where the pipeline (pool, gossip,
// proposal, two vote rounds) has filled: the time before it carries no
// finalized transaction whatever the chain's capacity, and its own
// transactions gathered over that time, so counting either skews a short
// step (a 10 s step at 1 s of latency read 10 % low). With fewer than two
// loaded blocks inside the window, the whole window counts.
func (w *watcher) result(start, sendEnd time.Time) Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	var res Result
	from, to, inWindow := start, sendEnd, 0
	for i, at := range w.blocks {
		if !at.After(sendEnd) {
			inWindow += w.txsIn[i]
		}
	}
	first := slices.IndexFunc(w.txsIn, func(n int) bool { return n > 0 })
	if first >= 0 {
		res.FirstBlockAfter = w.blocks[first].Sub(start)
		last, steady := first, 0
		for i := first + 1; i < len(w.blocks) && !w.blocks[i].After(sendEnd); i++ {
			last, steady = i, steady+w.txsIn[i]
		}
		if steady > 0 {
			from, to, inWindow = w.blocks[first], w.blocks[last], steady
			res.HalvesTPS = w.halvesLocked(first, last)
		}
	}
	if d := to.Sub(from).Seconds(); d > 0 {
		res.FinalizedTPS = float64(inWindow) / d
	}
	res.Included = len(w.lat)
	res.Blocks = len(w.blocks)
	if len(w.blocks) > 1 {
		res.BlockInterval = w.blocks[len(w.blocks)-1].Sub(w.blocks[0]) / time.Duration(len(w.blocks)-1)
	}
	if len(w.lat) > 0 {
		lat := slices.Clone(w.lat)
		slices.Sort(lat)
		res.LatencyP50 = lat[len(lat)*50/100]
		res.LatencyP99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return res
}
