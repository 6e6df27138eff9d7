package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/internal/cmdutil"
	"github.com/bilayer/bilayer/internal/l2open"
	"github.com/bilayer/bilayer/keyfile"
	"github.com/bilayer/bilayer/rollup/challenger"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/dispute"
	"github.com/bilayer/bilayer/rollup/fallback"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/l1data"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/l2rpc"
	"github.com/bilayer/bilayer/rollup/sequencer"
	"github.com/bilayer/bilayer/rollup/verifier"
)

var (
	l1RPCFlag = &cli.StringFlag{Name: "l1.rpc", Usage: "JSON-RPC URL of an L1 node: the challenger's only source (any validator or full node; it never contacts the sequencer)",
		Value: defaultL1RPC, EnvVars: []string{"BILAYER_L1_RPC"}}
	l1WaitFlag = &cli.DurationFlag{Name: "l1.wait", Usage: "how long to wait for the L1 RPC to answer at start before giving up",
		Value: 2 * time.Minute, EnvVars: []string{"BILAYER_L1_WAIT"}}
	rpcAddrFlag = &cli.StringFlag{Name: "rpc.addr", Usage: "listen address of the derived chain's read-only L2 JSON-RPC (HTTP and WebSocket on one port), with rollup_syncStatus; empty disables",
		Value: defaultRPCAddr, EnvVars: []string{"BILAYER_CHALLENGER_RPC_ADDR"}}
	metricsAddrFlag = &cli.StringFlag{Name: "metrics.addr", Usage: "Prometheus metrics listen address (/metrics: bilayer_verifier_*); empty disables",
		EnvVars: []string{"BILAYER_CHALLENGER_METRICS_ADDR"}}
	pprofFlag = &cli.BoolFlag{Name: "pprof", Usage: "serve Go's profiler under /debug/pprof/ on the metrics address",
		EnvVars: []string{"BILAYER_PPROF"}}
	keyFlag = &cli.StringFlag{Name: "key", Usage: "keystore file of an L1 account that pays for challenges: with it the challenger also PROVES the first wrong output on L1 (one transaction) and earns half the sequencer's bond; without it, it only verifies",
		EnvVars: []string{"BILAYER_CHALLENGER_KEY"}}
	passwordFileFlag = &cli.StringFlag{Name: "password-file", Usage: "file holding the password of --key",
		EnvVars: []string{"BILAYER_PASSWORD_FILE"}}
	fallbackFlag = &cli.BoolFlag{Name: "fallback-proposer", Usage: "with --key: when the sequencer has posted nothing for rollup.sequencerTimeout L1 blocks, bond the sequencer bond from the --key account and post the derived deposit-only L2 blocks (deposits, forced transfers and withdrawals) so they finalize and pay out without the sequencer",
		EnvVars: []string{"BILAYER_CHALLENGER_FALLBACK_PROPOSER"}}
	pollFlag = &cli.DurationFlag{Name: "poll-interval", Usage: "how often to look for new L1 blocks (and the finalized L2 block) once caught up",
		Value: 500 * time.Millisecond, EnvVars: []string{"BILAYER_CHALLENGER_POLL_INTERVAL"}}
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "derive the L2 from the L1, check every posted output, and serve the derived chain's RPC",
		Description: `Follows the L1 at --l1.rpc until SIGINT or SIGTERM, then stops cleanly. Derivation's
progress is saved (synced) after every L1 block, so running it again resumes at the next L1
block; an empty data directory starts from the L1 genesis.

The L2 JSON-RPC on --rpc.addr is read-only (transactions go to the sequencer): "latest" and
"safe" are the newest derived block (everything here comes from the L1), "finalized" the rollup
contract's finalized block. rollup_syncStatus adds "verification": the newest checked L2 block,
how many posted outputs agreed, and the first disagreement (null while there is none).
rollup_dispute and rollup_disputes explain the fraud-proof disputes the L1 rollup contract
recorded (the claim, the first wrong block, the fields that differ, the bond flow), read from
the L1. rollup_depositStatus and rollup_withdrawalStatus answer as on the sequencer, from the
derived chain and the L1: with the sequencer gone, point the wallet's --l2-rpc here to follow a
forced exit.

With --key the challenger also proves the first wrong output on the L1. With --key and
--fallback-proposer it is also a fallback proposer: once the sequencer has posted nothing for
rollup.sequencerTimeout L1 blocks (the contract's fallbackFrom()), it bonds the sequencer bond
from the key's L1 balance (once) and posts the deposit-only L2 blocks it derived after the
contract's last accepted block, with their withdrawals and outputs, one batch per timeout
("Sequencer silent for N L1 blocks: posting L2 blocks a-b as fallback proposer"), so that
forced withdrawals still finalize and are paid. It never posts a block it has not derived.`,
		Flags: []cli.Flag{datadirFlag, genesisFlag, l1RPCFlag, l1WaitFlag, rpcAddrFlag, rpcCORSFlag, rpcVHostsFlag, metricsAddrFlag, pprofFlag, pollFlag, keyFlag, passwordFileFlag,
			fallbackFlag, cmdutil.CacheFlag, cmdutil.LogLevelFlag, cmdutil.LogFormatFlag},
		Action: runChallenger,
	}
}

func runChallenger(c *cli.Context) error {
	log, err := cmdutil.NewLogger(c)
	if err != nil {
		return err
	}
	genPath := c.String(genesisFlag.Name)
	if genPath == "" {
		genPath = datadirPath(c, genesisFile)
	}
	g, err := loadGenesis(genPath)
	if err != nil {
		return fmt.Errorf("%w (give --genesis, or run \"challenger init\" first)", err)
	}
	poll := c.Duration(pollFlag.Name)
	if poll <= 0 {
		return fmt.Errorf("--%s %s: must be positive", pollFlag.Name, poll)
	}
	if c.Bool(fallbackFlag.Name) && c.String(keyFlag.Name) == "" {
		return fmt.Errorf("--%s needs --%s: the fallback proposer bonds and posts from that L1 account", fallbackFlag.Name, keyFlag.Name)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	client, l1Genesis, err := l1.Connect(ctx, c.String(l1RPCFlag.Name), g.ChainID, c.Duration(l1WaitFlag.Name), log)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while waiting for the L1
		}
		return err
	}
	defer client.Close()
	opened, err := l2open.Open(g, l1Genesis, datadirPath(c, l2ChainDir), c.Int(cmdutil.CacheFlag.Name), log)
	if err != nil {
		return err
	}
	defer opened.Close(log)
	cfg, db, chain := opened.Config, opened.DB, opened.Chain

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := verifier.NewMetrics(reg)
	if err != nil {
		return err
	}
	v, err := verifier.New(ctx, verifier.Config{SequencingWindow: cfg.SequencingWindow, PollInterval: poll}, chain, db,
		l1data.New(client, contract.BatchLimits(cfg)), metrics, log.With("module", "verifier"))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	finality := sequencer.RPCFinality{Client: client}
	hd := &heads{chain: chain}

	var rpcServer *ethrpc.Server
	if addr := c.String(rpcAddrFlag.Name); addr != "" {
		backend := l2rpc.NewBackend(chain, nil, hd, nil, version)
		bridgeAPI := sequencer.NewBridgeAPI(chain, v, client, sequencer.WithChallengeWindow(cfg.ChallengeWindow))
		cors, vhosts := cmdutil.RPCAccess(c)
		if rpcServer, err = startRPC(backend, verifier.NewAPI(v, chain, finality, dispute.New(dispute.NewL1(client))), bridgeAPI, addr, cors, vhosts, log); err != nil {
			return err
		}
	}
	var metricsServer *http.Server
	if addr := c.String(metricsAddrFlag.Name); addr != "" {
		if metricsServer, err = cmdutil.StartMetrics(addr, reg, c.Bool(pprofFlag.Name), log); err != nil {
			stopServers(rpcServer, nil, log)
			return err
		}
	}
	var agent *challenger.Agent
	var proposer *fallback.Agent
	if path := c.String(keyFlag.Name); path != "" {
		sender, err := newSender(ctx, c, path, g, client, log)
		if err != nil {
			return err
		}
		agent = newAgent(cfg, v, chain, client, sender, log)
		if c.Bool(fallbackFlag.Name) {
			if proposer, err = newFallback(g, cfg, chain, client, sender, log); err != nil {
				return err
			}
		}
	}
	head := chain.Head()
	log.Info("Challenger started: deriving the L2 from the L1 alone", "l1", c.String(l1RPCFlag.Name), "l2ChainId", cfg.L2ChainID,
		"l2Genesis", chain.GenesisHash(), "head", head.Number(), "sequencer", cfg.Sequencer,
		"sequencingWindow", cfg.SequencingWindow, "challengeWindow", cfg.ChallengeWindow, "sequencerTimeout", cfg.SequencerTimeout)

	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		hd.pollFinalized(ctx, finality, poll, log)
	}()
	agentDone := make(chan struct{})
	if agent != nil {
		go func() {
			defer close(agentDone)
			if err := agent.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("Challenger agent stopped", "err", err)
			}
		}()
	} else {
		close(agentDone)
	}
	proposerDone := make(chan struct{})
	if proposer != nil {
		go func() {
			defer close(proposerDone)
			if err := proposer.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("Fallback proposer stopped", "err", err)
			}
		}()
	} else {
		close(proposerDone)
	}
	runErr := v.Run(ctx)
	stop()
	<-pollDone
	<-agentDone
	<-proposerDone
	if errors.Is(runErr, context.Canceled) && ctx.Err() != nil {
		runErr = nil
	}
	st := v.Status()
	log.Info("Shutting down", "l1", st.L1, "derivedHead", st.Head, "checked", st.Checked, "agreed", st.Agreed,
		"disagreement", st.FirstDisagreement != nil)
	stopServers(rpcServer, metricsServer, log)
	if runErr != nil {
		return fmt.Errorf("verifier stopped: %w", runErr)
	}
	return nil
}

// stopServers stops the RPC and metrics servers (either may be nil).
func stopServers(rpcServer *ethrpc.Server, metricsServer *http.Server, log *slog.Logger) {
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
}

// rpcCORSFlag and rpcVHostsFlag are --rpc.cors and --rpc.vhosts.
var rpcCORSFlag, rpcVHostsFlag = cmdutil.RPCAccessFlags("L2 JSON-RPC")

// startRPC serves the derived chain's read-only L2 JSON-RPC on addr.
func startRPC(backend *l2rpc.Backend, api *verifier.API, bridgeAPI *sequencer.BridgeAPI, addr string, cors, vhosts []string, log *slog.Logger) (*ethrpc.Server, error) {
	srv, err := ethrpc.NewServer(backend, log.With("module", "rpc"))
	if err != nil {
		return nil, fmt.Errorf("L2 RPC: %w", err)
	}
	if err := srv.SetAccess(cors, vhosts); err != nil {
		return nil, fmt.Errorf("--%s: %w", rpcCORSFlag.Name, err)
	}
	// Both serve the rollup namespace: the verifier's heads and disputes,
	// and the deposit and withdrawal lookups over the derived chain.
	for _, a := range []any{api, bridgeAPI} {
		if err := srv.Register("rollup", a); err != nil {
			return nil, fmt.Errorf("L2 RPC: %w", err)
		}
	}
	if err := srv.Start(addr); err != nil {
		return nil, fmt.Errorf("L2 RPC: %w", err)
	}
	return srv, nil
}

// newSender loads the challenger's key and returns its L1 sender, shared
// by the proving agent and the fallback proposer (one nonce sequence).
func newSender(ctx context.Context, c *cli.Context, path string, g *genesis.Genesis, client *l1.Client, log *slog.Logger) (*l1.Sender, error) {
	pw, err := cmdutil.ReadPassword(c.String(passwordFileFlag.Name), passwordFileFlag.Name)
	if err != nil {
		return nil, err
	}
	key, err := keyfile.Load(path, pw)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", keyFlag.Name, err)
	}
	sender, err := l1.NewSender(ctx, client, l1.SenderConfig{Key: key, ChainID: new(big.Int).SetUint64(g.ChainID),
		Logger: log.With("module", "l1sender")})
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", keyFlag.Name, err)
	}
	return sender, nil
}

// newAgent builds the proving agent, sending from sender.
func newAgent(cfg *rollupconfig.Config, v *verifier.Verifier, chain *l2chain.Chain, client *l1.Client, sender *l1.Sender,
	log *slog.Logger) *challenger.Agent {
	log.Info("Proving role on: the first wrong output will be challenged on L1", "account", sender.Address())
	rl := &challenger.RPCL1{Client: client, Reader: l1data.New(client, contract.BatchLimits(cfg)), Sender: sender}
	return challenger.NewAgent(challenger.AgentConfig{ChallengeWindow: cfg.ChallengeWindow, MaxAttempts: 3, PollInterval: time.Second},
		v, chain, rl, log.With("module", "challenger"))
}

// newFallback builds the fallback proposer over the verifier's derived
// chain, bonding and posting from sender; its batches keep the contract's
// limits and half the L1 block gas limit, as the sequencer's batcher does.
func newFallback(g *genesis.Genesis, cfg *rollupconfig.Config, chain *l2chain.Chain, client *l1.Client, sender *l1.Sender,
	log *slog.Logger) (*fallback.Agent, error) {
	lim := contract.BatchLimits(cfg)
	rl := fallback.RPCL1{RPCRollup: &sequencer.RPCRollup{Client: client, Sender: sender, Limits: lim}}
	a, err := fallback.NewAgent(fallback.AgentConfig{Bond: cfg.SequencerBond, Limits: lim, MaxGas: g.GasLimit / 2, PollInterval: time.Second},
		chain, rl, log.With("module", "fallback"))
	if err != nil {
		return nil, err
	}
	log.Info("Fallback proposer on: if the sequencer posts nothing for the sequencer timeout, the derived deposit-only blocks are posted from this account",
		"account", sender.Address(), "sequencerTimeout", cfg.SequencerTimeout, "bond", cfg.SequencerBond)
	return a, nil
}
