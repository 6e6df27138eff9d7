package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/internal/cmdutil"
	"github.com/bilayer/bilayer/internal/l2open"
	"github.com/bilayer/bilayer/keyfile"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/l1data"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/l2rpc"
	"github.com/bilayer/bilayer/rollup/sequencer"
	"github.com/bilayer/bilayer/rollup/verifier"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/txpool"
)

var (
	l1RPCFlag = &cli.StringFlag{Name: "l1.rpc", Usage: "JSON-RPC URL of an L1 node (the sequencer is an L1 client: it reads blocks and deposits, later posts batches)",
		Value: defaultL1RPC, EnvVars: []string{"BILAYER_L1_RPC"}}
	rpcAddrFlag = &cli.StringFlag{Name: "rpc.addr", Usage: "L2 JSON-RPC listen address (HTTP and WebSocket on one port); empty disables",
		Value: defaultRPCAddr, EnvVars: []string{"BILAYER_RPC_ADDR"}}
	metricsAddrFlag = &cli.StringFlag{Name: "metrics.addr", Usage: "Prometheus metrics listen address (/metrics); empty disables",
		EnvVars: []string{"BILAYER_METRICS_ADDR"}}
	pprofFlag = &cli.BoolFlag{Name: "pprof", Usage: "serve Go's profiler under /debug/pprof/ on the metrics address",
		EnvVars: []string{"BILAYER_PPROF"}}
	blockTimeFlag = &cli.DurationFlag{Name: "block-time", Usage: "interval between L2 blocks while transactions arrive (default: the genesis's rollup.l2BlockTime)",
		EnvVars: []string{"BILAYER_L2_BLOCK_TIME"}}
	minBlockTimeFlag = &cli.DurationFlag{Name: "min-block-time", Usage: "interval between L2 blocks under load (more waiting than one block holds)",
		Value: 100 * time.Millisecond, EnvVars: []string{"BILAYER_L2_MIN_BLOCK_TIME"}}
	devBatcherPauseFlag = &cli.Uint64Flag{Name: "dev.batcher-pause", Usage: "DEVELOPMENT ONLY: post no batch for this many L1 blocks after start, so the sequencing window passes the unsafe chain by (derivation then makes deposit-only blocks and the sequencer re-sequences); refused unless the genesis is a devnet's",
		EnvVars: []string{"BILAYER_DEV_BATCHER_PAUSE"}}
	devBadOutputAtFlag = &cli.Uint64Flag{Name: "dev.bad-output-at", Usage: "DEVELOPMENT ONLY: post a wrong output for this L2 block (once), so the challenger proves it wrong and takes half the bond; refused unless the genesis is a devnet's",
		EnvVars: []string{"BILAYER_DEV_BAD_OUTPUT_AT"}}
	devBadOutputKindFlag = &cli.StringFlag{Name: "dev.bad-output-kind", Usage: "how --dev.bad-output-at N falsifies the output: flip-state-root (one byte of N's state root), zero-state-root, wrong-block-hash, wrong-withdrawals (a withdrawal N never initiated) or wrong-parent (N's right state root on a wrong N-1: N-1's state root and hash are wrong, N's hash links to it; the challenger proves N-1; N must be at least 2)",
		Value: string(sequencer.BadStateRootByte), EnvVars: []string{"BILAYER_DEV_BAD_OUTPUT_KIND"}}
	devCensorFlag = &cli.StringSliceFlag{Name: "dev.censor", Usage: "DEVELOPMENT ONLY: never include L2 transactions from this `ADDRESS` (repeatable), to show that a forced withdrawal or transfer on the L1 bridge gets past a censoring sequencer; refused unless the genesis is a devnet's",
		EnvVars: []string{"BILAYER_DEV_CENSOR"}}
	l1WaitFlag = &cli.DurationFlag{Name: "l1.wait", Usage: "how long to wait for the L1 RPC to answer at start before giving up",
		Value: 2 * time.Minute, EnvVars: []string{"BILAYER_L1_WAIT"}}
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "run the sequencer from a data directory made by init",
		Description: `Follows the L1 at --l1.rpc, produces L2 blocks and serves the L2 JSON-RPC on --rpc.addr
until SIGINT or SIGTERM, then stops cleanly. Running it again resumes at its last block.

Blocks come every --block-time while transactions arrive (sooner under load, down to
--min-block-time), and when the L1 origin must advance: the next L1 block carries deposits, or
the origin trails the L1 head by more than rollup.maxOriginLag. An idle L2 makes no blocks
otherwise.`,
		Flags: []cli.Flag{datadirFlag, genesisFlag, passwordFileFlag, l1RPCFlag, l1WaitFlag, rpcAddrFlag, rpcCORSFlag, rpcVHostsFlag, metricsAddrFlag, pprofFlag,
			blockTimeFlag, minBlockTimeFlag, devBatcherPauseFlag, devBadOutputAtFlag, devBadOutputKindFlag, devCensorFlag, cmdutil.CacheFlag, cmdutil.LogLevelFlag, cmdutil.LogFormatFlag},
		Action: runSequencer,
	}
}

func runSequencer(c *cli.Context) error {
	log, err := cmdutil.NewLogger(c)
	if err != nil {
		return err
	}
	genPath := c.String(genesisFlag.Name)
	if genPath == "" {
		genPath = datadirPath(c, genesisFile)
	}
	g, err := genesis.Load(genPath)
	if err != nil {
		return fmt.Errorf("%w (run \"sequencer init\" first?)", err)
	}
	if err := rollupconfig.Validate(g); err != nil {
		return err
	}
	pw, err := readPassword(c)
	if err != nil {
		return err
	}
	key, err := keyfile.Load(datadirPath(c, keystoreDir, sequencerKey), pw)
	if err != nil {
		return fmt.Errorf("sequencer key: %w (run \"sequencer init\" first?)", err)
	}
	if addr := crypto.PubkeyToAddress(key.PublicKey); addr != g.Rollup.Sequencer {
		return fmt.Errorf("the sequencer key is %s, but the genesis names %s as rollup.sequencer", addr, g.Rollup.Sequencer)
	}
	for _, f := range []string{devBatcherPauseFlag.Name, devBadOutputAtFlag.Name} {
		if c.Uint64(f) > 0 && !g.Devnet {
			return fmt.Errorf("--%s is a development switch: refused because the genesis is not a devnet's", f)
		}
	}
	censor, err := parseCensor(c.StringSlice(devCensorFlag.Name))
	if err != nil {
		return err
	}
	if len(censor) > 0 && !g.Devnet {
		return fmt.Errorf("--%s is a development switch: refused because the genesis is not a devnet's", devCensorFlag.Name)
	}
	badKind, err := sequencer.ParseBadOutputKind(c.String(devBadOutputKindFlag.Name))
	if err != nil {
		return fmt.Errorf("--%s: %w", devBadOutputKindFlag.Name, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	client, l1Genesis, err := l1.Connect(ctx, c.String(l1RPCFlag.Name), g.ChainID, c.Duration(l1WaitFlag.Name), log)
	if err != nil {
		return err
	}
	defer client.Close()
	opened, err := l2open.Open(g, l1Genesis, datadirPath(c, l2ChainDir), c.Int(cmdutil.CacheFlag.Name), log)
	if err != nil {
		return err
	}
	defer opened.Close(log)
	cfg, db, chain := opened.Config, opened.DB, opened.Chain
	reader := l1data.New(client, contract.BatchLimits(cfg))
	if err := recoverFromL1(ctx, cfg, chain, db, reader, client, log); err != nil {
		return err
	}
	pool, err := sequencer.NewPool(txpool.DefaultConfig(), chain)
	if err != nil {
		return err
	}
	sender, err := l1.NewSender(ctx, client, l1.SenderConfig{Key: key, ChainID: new(big.Int).SetUint64(g.ChainID),
		Logger: log.With("module", "l1sender")})
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := sequencer.NewMetrics(reg)
	if err != nil {
		return err
	}
	scfg := sequencer.DefaultConfig()
	scfg.BlockTime = cfg.L2BlockTime
	if d := c.Duration(blockTimeFlag.Name); d > 0 {
		scfg.BlockTime = d
	}
	scfg.MinBlockTime = min(c.Duration(minBlockTimeFlag.Name), scfg.BlockTime)
	scfg.MaxOriginLag = cfg.MaxOriginLag
	scfg.SequencingWindow = cfg.SequencingWindow
	scfg.Censor = censor
	for _, a := range censor {
		log.Warn("DEVELOPMENT SWITCH: censoring an L2 sender; its way out is a forced withdrawal or transfer on the L1 bridge", "address", a)
	}
	seq := sequencer.New(scfg, chain, pool, sequencer.RPCL1{Client: client}, metrics, log.With("module", "sequencer"))
	bcfg := sequencer.DefaultBatcherConfig()
	bcfg.Bond = cfg.SequencerBond
	bcfg.Limits = contract.BatchLimits(cfg)
	bcfg.MaxGas = g.GasLimit / 2 // room for the other L1 transactions of its block
	bcfg.PauseFor = c.Uint64(devBatcherPauseFlag.Name)
	bcfg.BadOutputAt = block.L2Number(c.Uint64(devBadOutputAtFlag.Name))
	bcfg.BadOutput = badKind
	bcfg.BadWithdrawalTo = cfg.Sequencer
	rollupL1 := &sequencer.RPCRollup{Client: client, Sender: sender, Limits: bcfg.Limits}

	var rpcServer *ethrpc.Server
	if addr := c.String(rpcAddrFlag.Name); addr != "" {
		backend := l2rpc.NewBackend(chain, pool, seq, seq.Notify, version)
		rollupAPI := sequencer.NewRollupAPI(chain, seq, client, sequencer.WithChallengeWindow(cfg.ChallengeWindow))
		cors, vhosts := cmdutil.RPCAccess(c)
		if rpcServer, err = startRPC(backend, rollupAPI, addr, cors, vhosts, log); err != nil {
			return err
		}
	}
	var metricsServer *http.Server
	if addr := c.String(metricsAddrFlag.Name); addr != "" {
		if metricsServer, err = cmdutil.StartMetrics(addr, reg, c.Bool(pprofFlag.Name), log); err != nil {
			return err
		}
	}
	head := chain.Head()
	log.Info("L2 chain", "chainId", cfg.L2ChainID, "genesis", chain.GenesisHash(), "head", head.Number(), "origin", head.L2.Origin.Number,
		"sequencer", cfg.Sequencer)

	batcherErr := make(chan error, 1)
	go func() { batcherErr <- seq.RunBatcher(ctx, rollupL1, bcfg) }()
	runErr := seq.Run(ctx)
	stop()
	if err := <-batcherErr; err != nil && ctx.Err() == nil && runErr == nil {
		runErr = err
	}
	if ctx.Err() != nil {
		log.Info("Shutting down", "head", chain.Head().Number())
		runErr = nil
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rpcServer != nil {
		if err := rpcServer.Stop(shutdown); err != nil {
			log.Warn("RPC server did not stop cleanly", "err", err)
		}
	}
	if metricsServer != nil {
		if err := metricsServer.Shutdown(shutdown); err != nil {
			log.Warn("Metrics server did not stop cleanly", "err", err)
		}
	}
	return runErr
}

// recoverFromL1 rebuilds an empty L2 chain from the L1 alone (derivation,
// as the verifier does) before the sequencer produces on top of it: the
// blocks the L1 holds in batches, and the deposit-only blocks of origins
// whose window closed unposted. What a previous data directory had
// soft-confirmed but never posted is gone. It first lets a batch the
// previous process left in the L1 pool land (waitOwnL1Txs): rebuilt
// without it, the new chain would differ from what the L1 then accepts.
func recoverFromL1(ctx context.Context, cfg *rollupconfig.Config, chain *l2chain.Chain, db store.Store, src verifier.Source,
	client *l1.Client, log *slog.Logger) error {
	if chain.Head().Number() != 0 {
		return nil
	}
	if err := waitOwnL1Txs(ctx, client, cfg.Sequencer, 30*time.Second, log); err != nil {
		return fmt.Errorf("rebuild the L2 from the L1: %w", err)
	}
	v, err := verifier.New(ctx, verifier.Config{SequencingWindow: cfg.SequencingWindow, PollInterval: time.Second}, chain, db, src, nil,
		log.With("module", "recovery"))
	if err != nil {
		return err
	}
	if err := v.CatchUp(ctx); err != nil {
		return fmt.Errorf("rebuild the L2 from the L1: %w", err)
	}
	if n := chain.Head().Number(); n > 0 {
		log.Warn("Rebuilt the L2 chain from the L1 (empty data directory): transactions a previous sequencer soft-confirmed but never posted are not in it",
			"head", n, "hash", chain.Head().Hash())
	}
	return nil
}

// waitOwnL1Txs waits, up to limit, until the L1 node's pool holds no
// transaction of addr (its pending nonce is its latest one): a batch sent
// by a previous sequencer process just before it stopped lands first. A
// transaction still pending after limit is left (with a warning) to the
// batcher, which then reports the conflict.
func waitOwnL1Txs(ctx context.Context, client *l1.Client, addr common.Address, limit time.Duration, log *slog.Logger) error {
	deadline := time.Now().Add(limit)
	logged := false
	for {
		pending, err := client.PendingNonceAt(ctx, addr)
		if err != nil {
			return err
		}
		latest, err := client.NonceAt(ctx, addr, nil)
		if err != nil {
			return err
		}
		if pending <= latest {
			return nil
		}
		if time.Now().After(deadline) {
			log.Warn("The sequencer's earlier L1 transactions are still pending; rebuilding without them", "pendingNonce", pending, "nonce", latest)
			return nil
		}
		if !logged {
			log.Info("Waiting for the sequencer's earlier L1 transactions (a batch?) to land before rebuilding", "pendingNonce", pending, "nonce", latest)
			logged = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// rpcCORSFlag and rpcVHostsFlag are --rpc.cors and --rpc.vhosts.
var rpcCORSFlag, rpcVHostsFlag = cmdutil.RPCAccessFlags("L2 JSON-RPC")

// startRPC serves the L2 JSON-RPC with the rollup namespace on addr.
func startRPC(backend *l2rpc.Backend, api *sequencer.RollupAPI, addr string, cors, vhosts []string, log *slog.Logger) (*ethrpc.Server, error) {
	srv, err := ethrpc.NewServer(backend, log.With("module", "rpc"))
	if err != nil {
		return nil, err
	}
	if err := srv.SetAccess(cors, vhosts); err != nil {
		return nil, fmt.Errorf("--%s: %w", rpcCORSFlag.Name, err)
	}
	if err := srv.Register("rollup", api); err != nil {
		return nil, err
	}
	if err := srv.Start(addr); err != nil {
		return nil, err
	}
	return srv, nil
}

// parseCensor checks the --dev.censor addresses.
func parseCensor(vals []string) ([]common.Address, error) {
	var out []common.Address
	for _, v := range vals {
		if !common.IsHexAddress(v) {
			return nil, fmt.Errorf("--%s %q is not an address (0x and 40 hex digits)", devCensorFlag.Name, v)
		}
		out = append(out, common.HexToAddress(v))
	}
	return out, nil
}
