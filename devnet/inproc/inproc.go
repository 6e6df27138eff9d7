package inproc

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/rollup/challenger"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/l1data"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/l2rpc"
	"github.com/bilayer/bilayer/rollup/sequencer"
	"github.com/bilayer/bilayer/rollup/verifier"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/bilayer/bilayer/txpool"
)

// Options configure a Rollup. The zero value is the fast configuration
// of the tests (FastOptions); DevnetOptions has the devnet's timing.
type Options struct {
	// L1BlockTime is the L1's block time (default 250 ms).
	L1BlockTime time.Duration
	// ChallengeWindow is the rollup's W, in L1 blocks (default 6).
	ChallengeWindow uint64
	// SequencingWindow is the rollup's S, in L1 blocks (default the
	// devnet's).
	SequencingWindow uint64
	// BatcherPoll is how often the batcher looks at the L1 (default
	// 100 ms; the sequencer binary's is 500 ms).
	BatcherPoll time.Duration
	// VerifierPoll is how often the verifier polls the L1 head once
	// caught up (default 100 ms; the challenger binary's is 500 ms).
	VerifierPoll time.Duration
	// AgentPoll is how often the challenger agent looks at the
	// verifier's findings (default 100 ms; the binary's is 1 s).
	AgentPoll time.Duration
	// ClientPoll is how often the L1 clients poll for receipts (default
	// 50 ms; the binaries' is l1.DefaultPollInterval).
	ClientPoll time.Duration
	// HoldChallenge makes the agent send a challenge only once a batch
	// after the disputed block's batch is accepted (or the window nears
	// its end), so that a test sees later batches deleted.
	HoldChallenge bool
	// Censor lists L2 senders whose transactions the sequencer never
	// includes (sequencer.Config.Censor, the --dev.censor switch): they
	// can leave only through the L1 bridge's forced operations.
	Censor []common.Address
	// Log receives every component's log lines (nil: discarded); it is
	// written from many goroutines, one line per call.
	Log io.Writer
	// LogLevel is the lowest level logged (default Info).
	LogLevel slog.Level
}

// FastOptions are the tests' timing: 250 ms L1 blocks, a challenge
// window of 6 L1 blocks, components polling every 100 ms.
func FastOptions() Options {
	return Options{L1BlockTime: 250 * time.Millisecond, ChallengeWindow: 6, SequencingWindow: devnet.SequencingWindow,
		BatcherPoll: 100 * time.Millisecond, VerifierPoll: 100 * time.Millisecond, AgentPoll: 100 * time.Millisecond,
		ClientPoll: 50 * time.Millisecond}
}

// DevnetOptions are the devnet's timing (`make devnet`): 1 s L1 blocks,
// its challenge and sequencing windows, and the binaries' default polls.
func DevnetOptions() Options {
	return Options{L1BlockTime: genesis.DefaultBlockTime, ChallengeWindow: devnet.ChallengeWindow, SequencingWindow: devnet.SequencingWindow,
		BatcherPoll: sequencer.DefaultBatcherConfig().PollInterval, VerifierPoll: 500 * time.Millisecond, AgentPoll: time.Second,
		ClientPoll: l1.DefaultPollInterval}
}

// withDefaults fills the zero fields from FastOptions.
func (o Options) withDefaults() Options {
	f := FastOptions()
	if o.L1BlockTime == 0 {
		o.L1BlockTime = f.L1BlockTime
	}
	if o.ChallengeWindow == 0 {
		o.ChallengeWindow = f.ChallengeWindow
	}
	if o.SequencingWindow == 0 {
		o.SequencingWindow = f.SequencingWindow
	}
	if o.BatcherPoll == 0 {
		o.BatcherPoll = f.BatcherPoll
	}
	if o.VerifierPoll == 0 {
		o.VerifierPoll = f.VerifierPoll
	}
	if o.AgentPoll == 0 {
		o.AgentPoll = f.AgentPoll
	}
	if o.ClientPoll == 0 {
		o.ClientPoll = f.ClientPoll
	}
	return o
}

// BadOutput is the batcher's development switch: post a wrong output for
// L2 block At (once), falsified as Kind says. The zero value posts
// honestly.
type BadOutput struct {
	At   block.L2Number
	Kind sequencer.BadOutputKind
}

// Rollup is a running in-process rollup. Its fields are read-only.
type Rollup struct {
	// Genesis is the L1 genesis, with the rollup section.
	Genesis *genesis.Genesis
	// Config is the rollup's configuration.
	Config *rollupconfig.Config
	// Options are the options it runs with, defaults filled.
	Options Options
	// L1URL is the L1 node's JSON-RPC URL (HTTP; ws:// on the same
	// address).
	L1URL string
	// L2URL is the sequencer's L2 JSON-RPC URL, with the rollup_
	// namespace.
	L2URL string
	// L1 is a client of the L1 for the harness's own reads.
	L1 *l1.Client
	// L2 is an ethclient of the sequencer's L2 RPC.
	L2 *ethclient.Client
	// Users are development accounts funded on L1 and L2, for transfers.
	Users []devkeys.Account
	// SequencerKey posts batches; ChallengerKey pays for challenges.
	SequencerKey, ChallengerKey *ecdsa.PrivateKey
	// SequencerAddress and ChallengerAddress are their addresses.
	SequencerAddress, ChallengerAddress common.Address
	// Sequencer is the sequencer and SequencerChain its L2 chain.
	Sequencer      *sequencer.Sequencer
	SequencerChain *l2chain.Chain
	// Verifier derives the L2 from the L1 into VerifierChain; Agent
	// proves the first wrong output it finds.
	Verifier      *verifier.Verifier
	VerifierChain *l2chain.Chain
	Agent         *challenger.Agent

	log     *slog.Logger
	l1      *l1node
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func() error
	rollup  *sequencer.RPCRollup

	mu         sync.Mutex
	errs       []error
	batcherOn  bool
	closed     bool
	closeError error
}

// users is how many development accounts Users holds.
const users = 8

// sequencerKeySeed derives the harness's sequencer key (not a development
// account, which would hold an L1 allocation already).
var sequencerKeySeed = []byte("bilayer inproc sequencer")

// Start starts an L1 node, the sequencer (producing blocks, its batcher
// not yet posting: StartBatcher) and the challenger, and returns once the
// L1 has committed block 1. Close stops them; on an error Start stops
// what it started.
func Start(ctx context.Context, o Options) (r *Rollup, err error) {
	o = o.withDefaults()
	logger := slog.New(slog.DiscardHandler)
	if o.Log != nil {
		logger = slog.New(slog.NewTextHandler(&lockedWriter{w: o.Log}, &slog.HandlerOptions{Level: o.LogLevel}))
	}
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		return nil, fmt.Errorf("inproc: development accounts: %w", err)
	}
	seqKey, err := crypto.ToECDSA(crypto.Keccak256(sequencerKeySeed))
	if err != nil {
		return nil, fmt.Errorf("inproc: sequencer key: %w", err)
	}
	chKey := accounts[devnet.ChallengerAccount].Key
	runCtx, cancel := context.WithCancel(context.Background())
	r = &Rollup{Options: o, Users: accounts[:users], SequencerKey: seqKey, ChallengerKey: chKey,
		SequencerAddress: crypto.PubkeyToAddress(seqKey.PublicKey), ChallengerAddress: crypto.PubkeyToAddress(chKey.PublicKey),
		log: logger, ctx: runCtx, cancel: cancel}
	defer func() {
		if err != nil {
			_ = r.Close()
			r = nil
		}
	}()
	if r.Genesis, err = r.genesis(); err != nil {
		return nil, err
	}
	if r.l1, err = startL1(r.Genesis, logger.With("module", "l1")); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, r.l1.close)
	r.L1URL = r.l1.url
	r.goRun("L1 block clock", func(ctx context.Context) error { r.l1.clock(ctx); return nil })
	if err := r.l1.waitBlock(ctx, 1); err != nil {
		return nil, err
	}
	if r.L1, err = r.dialL1(ctx); err != nil {
		return nil, err
	}
	gen, err := r.L1.BlockRef(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("inproc: L1 genesis: %w", err)
	}
	if r.Config, err = rollupconfig.FromGenesis(r.Genesis, gen.Hash); err != nil {
		return nil, fmt.Errorf("inproc: %w", err)
	}
	if err := r.startSequencer(ctx); err != nil {
		return nil, err
	}
	if err := r.startChallenger(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// genesis is the devnet genesis for one validator and the harness's
// sequencer, with the options' block time and windows.
func (r *Rollup) genesis() (*genesis.Genesis, error) {
	g, err := devnet.NewGenesis([]common.Address{crypto.PubkeyToAddress(validatorKey().PublicKey)}, r.SequencerAddress,
		uint64(time.Now().Unix())-10)
	if err != nil {
		return nil, fmt.Errorf("inproc: %w", err)
	}
	g.BlockTime.Duration = r.Options.L1BlockTime
	g.Rollup.ChallengeWindow = r.Options.ChallengeWindow
	g.Rollup.SequencingWindow = r.Options.SequencingWindow
	if err := rollupconfig.Validate(g); err != nil {
		return nil, fmt.Errorf("inproc: genesis: %w", err)
	}
	return g, nil
}

// dialRPC returns a JSON-RPC client of url with an HTTP transport of its
// own, closed with the rollup: closing the transport's idle connections
// then also closes one that a request cancelled at Close left dialled
// (on a shared transport it would stay open, and hold up the server's
// stop for 5 s).
func (r *Rollup) dialRPC(ctx context.Context, url string) (*rpc.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c, err := rpc.DialOptions(ctx, url, rpc.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		return nil, fmt.Errorf("inproc: dial %s: %w", url, err)
	}
	r.closers = append(r.closers, func() error { c.Close(); tr.CloseIdleConnections(); return nil })
	return c, nil
}

// dialL1 returns a new client of the L1 node, closed with the rollup.
func (r *Rollup) dialL1(ctx context.Context) (*l1.Client, error) {
	rc, err := r.dialRPC(ctx, r.L1URL)
	if err != nil {
		return nil, err
	}
	return l1.New(rc, l1.WithPollInterval(r.Options.ClientPoll)), nil
}

// openL2Chain opens an L2 chain in memory, as the binaries open theirs.
func (r *Rollup) openL2Chain(log *slog.Logger) (*l2chain.Chain, *memdb.DB, error) {
	db := memdb.New()
	chain, err := l2chain.Open(db, r.Config.ExecutionConfig(), nil,
		l2chain.Genesis{Alloc: r.Config.L2GenesisAlloc(), Block: r.Config.L2GenesisBlock}, log)
	if err != nil {
		return nil, nil, fmt.Errorf("inproc: L2 chain: %w", err)
	}
	r.closers = append(r.closers, chain.Close)
	return chain, db, nil
}

// startSequencer starts the sequencer's producer and its L2 RPC, as
// cmd/sequencer wires them.
func (r *Rollup) startSequencer(ctx context.Context) error {
	log := r.log.With("module", "sequencer")
	client, err := r.dialL1(ctx)
	if err != nil {
		return err
	}
	chain, _, err := r.openL2Chain(log.With("part", "l2chain"))
	if err != nil {
		return err
	}
	r.SequencerChain = chain
	pool, err := sequencer.NewPool(txpool.DefaultConfig(), chain)
	if err != nil {
		return fmt.Errorf("inproc: %w", err)
	}
	sender, err := l1.NewSender(ctx, client, l1.SenderConfig{Key: r.SequencerKey, ChainID: new(big.Int).SetUint64(r.Genesis.ChainID),
		Logger: log.With("part", "l1sender")})
	if err != nil {
		return fmt.Errorf("inproc: sequencer's L1 sender: %w", err)
	}
	scfg := sequencer.DefaultConfig()
	scfg.BlockTime = r.Config.L2BlockTime
	scfg.MinBlockTime = min(scfg.MinBlockTime, scfg.BlockTime)
	scfg.MaxOriginLag = r.Config.MaxOriginLag
	scfg.SequencingWindow = r.Config.SequencingWindow
	scfg.Censor = r.Options.Censor
	r.Sequencer = sequencer.New(scfg, chain, pool, sequencer.RPCL1{Client: client}, nil, log)
	r.rollup = &sequencer.RPCRollup{Client: client, Sender: sender, Limits: contract.BatchLimits(r.Config)}

	srv, err := ethrpc.NewServer(l2rpc.NewBackend(chain, pool, r.Sequencer, r.Sequencer.Notify, "bilayer-inproc"), log.With("part", "rpc"))
	if err != nil {
		return fmt.Errorf("inproc: L2 RPC: %w", err)
	}
	rollupAPI := sequencer.NewRollupAPI(chain, r.Sequencer, client, sequencer.WithChallengeWindow(r.Config.ChallengeWindow))
	if err := srv.Register("rollup", rollupAPI); err != nil {
		return fmt.Errorf("inproc: L2 RPC: %w", err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("inproc: L2 RPC: %w", err)
	}
	r.closers = append(r.closers, stopServer(srv))
	r.L2URL = "http://" + srv.Addr()
	l2rc, err := r.dialRPC(ctx, r.L2URL)
	if err != nil {
		return err
	}
	r.L2 = ethclient.NewClient(l2rc)
	r.goRun("sequencer", r.Sequencer.Run)
	return nil
}

// StartBatcher starts the sequencer's batcher (once), which bonds and
// posts the unsafe chain; bad, if set, is its development switch.
func (r *Rollup) StartBatcher(bad BadOutput) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.batcherOn {
		return errors.New("inproc: the batcher runs already")
	}
	r.batcherOn = true
	cfg := sequencer.DefaultBatcherConfig()
	cfg.Bond = r.Config.SequencerBond
	cfg.Limits = contract.BatchLimits(r.Config)
	cfg.PollInterval = r.Options.BatcherPoll
	cfg.BadOutputAt, cfg.BadOutput = bad.At, bad.Kind
	cfg.BadWithdrawalTo = r.Config.Sequencer
	r.goRun("batcher", func(ctx context.Context) error { return r.Sequencer.RunBatcher(ctx, r.rollup, cfg) })
	return nil
}

// startChallenger starts the verifier and the proving agent, as
// cmd/challenger wires them (with --key).
func (r *Rollup) startChallenger(ctx context.Context) error {
	log := r.log.With("module", "challenger")
	client, err := r.dialL1(ctx)
	if err != nil {
		return err
	}
	chain, db, err := r.openL2Chain(log.With("part", "l2chain"))
	if err != nil {
		return err
	}
	r.VerifierChain = chain
	limits := contract.BatchLimits(r.Config)
	// The verifier's context is its run's: derivation keeps it for its
	// L1 reads.
	v, err := verifier.New(r.ctx, verifier.Config{SequencingWindow: r.Config.SequencingWindow, PollInterval: r.Options.VerifierPoll},
		chain, db, l1data.New(client, limits), nil, log.With("part", "verifier"))
	if err != nil {
		return fmt.Errorf("inproc: verifier: %w", err)
	}
	r.Verifier = v
	sender, err := l1.NewSender(ctx, client, l1.SenderConfig{Key: r.ChallengerKey, ChainID: new(big.Int).SetUint64(r.Genesis.ChainID),
		Logger: log.With("part", "l1sender")})
	if err != nil {
		return fmt.Errorf("inproc: challenger's L1 sender: %w", err)
	}
	var agentL1 challenger.L1 = &challenger.RPCL1{Client: client, Reader: l1data.New(client, limits), Sender: sender}
	if r.Options.HoldChallenge {
		agentL1 = &heldL1{L1: agentL1, r: r}
	}
	r.Agent = challenger.NewAgent(challenger.AgentConfig{ChallengeWindow: r.Config.ChallengeWindow, MaxAttempts: 3, PollInterval: r.Options.AgentPoll},
		v, chain, agentL1, log.With("part", "agent"))
	r.goRun("verifier", v.Run)
	r.goRun("challenger agent", r.Agent.Run)
	return nil
}

// goRun runs f until Close; an error other than the end of its context is
// kept for Err.
func (r *Rollup) goRun(name string, f func(ctx context.Context) error) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := f(r.ctx); err != nil && r.ctx.Err() == nil {
			r.log.Error("Component stopped", "component", name, "err", err)
			r.mu.Lock()
			r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
			r.mu.Unlock()
		}
	}()
}

// Err returns the failures of components that stopped on their own (nil
// while everything runs).
func (r *Rollup) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}

// Close stops every component, waits for their goroutines and releases
// ports and memory. It returns what Err returns; later calls return the
// same.
func (r *Rollup) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return r.closeError
	}
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeError = errors.Join(append(r.errs, errs...)...)
	return r.closeError
}

// stopTimeout bounds an RPC server's stop: above the 5 s net/http's
// Shutdown gives a connection that never sent a request (a client's dial
// that its cancelled request left behind) before closing it.
const stopTimeout = 10 * time.Second

// stopServer returns a closer that stops srv within stopTimeout.
func stopServer(srv *ethrpc.Server) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		return srv.Stop(ctx)
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
