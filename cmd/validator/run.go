package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/internal/cmalloc"
	"github.com/bilayer/bilayer/internal/cmdutil"
	"github.com/bilayer/bilayer/keyfile"
	"github.com/bilayer/bilayer/node"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/p2p/libp2p"
	pebblestore "github.com/bilayer/bilayer/store/pebble"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/urfave/cli/v2"
)

var (
	p2pListenFlag = &cli.StringSliceFlag{Name: "p2p.listen", Usage: "libp2p listen multiaddrs",
		Value: cli.NewStringSlice("/ip4/127.0.0.1/tcp/30303"), EnvVars: []string{"BILAYER_P2P_LISTEN"}}
	bootnodesFlag = &cli.StringSliceFlag{Name: "bootnodes", Usage: "peers to keep connected, as multiaddrs ending in /p2p/<peer id> (comma separated)",
		EnvVars: []string{"BILAYER_BOOTNODES"}}
	rpcAddrFlag = &cli.StringFlag{Name: "rpc.addr", Usage: "JSON-RPC listen address (HTTP and WebSocket on one port); empty disables",
		Value: "127.0.0.1:8545", EnvVars: []string{"BILAYER_RPC_ADDR"}}
	metricsAddrFlag = &cli.StringFlag{Name: "metrics.addr", Usage: "Prometheus metrics listen address (/metrics); empty disables",
		EnvVars: []string{"BILAYER_METRICS_ADDR"}}
	devEquivocateFlag = &cli.BoolFlag{Name: "dev.equivocate", Usage: "DEVELOPMENT ONLY: sign two conflicting prevotes at every height from 3 until slashed, to show evidence and slashing; refused unless the genesis is a devnet's",
		EnvVars: []string{"BILAYER_DEV_EQUIVOCATE"}}
	pprofFlag = &cli.BoolFlag{Name: "pprof", Usage: "serve Go's profiler under /debug/pprof/ on the metrics address",
		EnvVars: []string{"BILAYER_PPROF"}}
	adminFlag = &cli.BoolFlag{Name: "admin", Usage: "serve the admin_ RPC namespace (isolate/rejoin peers) on --rpc.addr, for tests and demos; deprecated: prefer --admin.addr, its own listener",
		EnvVars: []string{"BILAYER_ADMIN"}}
	adminAddrFlag = &cli.StringFlag{Name: "admin.addr", Usage: "serve the admin_ RPC namespace (isolate/rejoin peers; tests and demos) on its own JSON-RPC listener at this loopback address (no browser may call it); empty disables",
		EnvVars: []string{"BILAYER_ADMIN_ADDR"}}
	cacheFlag = &cli.IntFlag{Name: "cache", Usage: "memory for caches, in MiB: half the state's trie-node cache, a quarter the database's block cache, a quarter more room for the Go heap between collections (the default suits a devnet; give a long-lived node more, e.g. 1024)",
		Value: cmdutil.DefaultCacheMiB, EnvVars: cmdutil.CacheFlag.EnvVars}
	txpoolMaxTxsFlag = &cli.IntFlag{Name: "txpool.max-txs", Value: node.DefaultMempoolTxs,
		Usage:   "most transactions the pool holds, its peers' gossip included; past it, a new one is refused (\"txpool is full\") unless it pays more than the cheapest pooled. A few blocks' worth keeps a saturated validator's waits short, its memory bounded and the backlog it admits under overload small",
		EnvVars: []string{"BILAYER_TXPOOL_MAX_TXS"}}
	txpoolMaxSubmittedFlag = &cli.IntFlag{Name: "txpool.max-submitted", Value: 0,
		Usage:   "most transactions the pool may hold for one sent to this node's JSON-RPC to be taken (past it: \"txpool is full\" unless it pays more than the cheapest pooled); the room above, up to --txpool.max-txs, is kept for what peers gossip, so under overload the validators share one backlog (0: half of --txpool.max-txs)",
		EnvVars: []string{"BILAYER_TXPOOL_MAX_SUBMITTED"}}
)

// rpcCORSFlag and rpcVHostsFlag are --rpc.cors and --rpc.vhosts.
var rpcCORSFlag, rpcVHostsFlag = cmdutil.RPCAccessFlags("JSON-RPC")

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "run the node from a data directory made by init",
		Description: `Runs the node until SIGINT or SIGTERM, then stops cleanly: nothing committed is lost, and
running it again resumes at the last committed block. Without <datadir>/keystore/validator.json
it runs as a full node. The p2p layer dials only the given bootnodes: no public bootstrap
peers, DHT, mDNS, NAT port mapping or relays.`,
		Flags: []cli.Flag{datadirFlag, genesisFlag, passwordFileFlag, p2pListenFlag, bootnodesFlag, rpcAddrFlag,
			rpcCORSFlag, rpcVHostsFlag, cacheFlag, txpoolMaxTxsFlag, txpoolMaxSubmittedFlag, metricsAddrFlag, pprofFlag, adminFlag, adminAddrFlag, devEquivocateFlag, cmdutil.LogLevelFlag, cmdutil.LogFormatFlag},
		Action: runNode,
	}
}

// loopbackOnly reports whether every listen address is a loopback one.
func loopbackOnly(addrs []string) bool {
	for _, a := range addrs {
		parts := strings.Split(a, "/")
		if len(parts) < 3 {
			return false
		}
		ip := net.ParseIP(parts[2])
		if ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

func runNode(c *cli.Context) error {
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
		return fmt.Errorf("%w (run \"validator init\" first?)", err)
	}
	pw, err := readPassword(c)
	if err != nil {
		return err
	}
	nodeKey, err := keyfile.Load(datadirPath(c, keystoreDir, nodeKeyFile), pw)
	if err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	var validatorKey *ecdsa.PrivateKey
	if _, err := os.Stat(datadirPath(c, keystoreDir, validatorKeyFile)); err == nil {
		if validatorKey, err = keyfile.Load(datadirPath(c, keystoreDir, validatorKeyFile), pw); err != nil {
			return fmt.Errorf("validator key: %w", err)
		}
	}

	trieCache, blockCache, err := cmdutil.ValidatorCacheSizes(c.Int(cacheFlag.Name))
	if err != nil {
		return err
	}
	chain.SetTrieCacheBytes(trieCache)
	memLimit, fromEnv := cmdutil.ApplyMemoryLimit(c.Int(cacheFlag.Name))
	gcPercent, gcFromEnv := cmdutil.ApplyGCPercent()
	arenas := cmalloc.Tuned()
	log.Info("Memory", "cacheMiB", c.Int(cacheFlag.Name), "goSoftLimitMiB", memLimit>>20, "fromGOMEMLIMIT", fromEnv,
		"gogc", gcPercent, "fromGOGC", gcFromEnv, "cAllocatorTuned", arenas)
	l0Files := l0CompactionFiles(g, validatorKey)
	log.Info("Storage", "l0FilesPerCompaction", l0Files)
	db, err := pebblestore.Open(datadirPath(c, chainDir), pebblestore.Options{CacheSize: blockCache, Logger: log.With("module", "pebble"),
		L0CompactionFiles: l0Files})
	if err != nil {
		return err
	}
	defer db.Close()

	listen := cmdutil.SplitList(c.StringSlice(p2pListenFlag.Name))
	host, err := libp2p.New(libp2p.Config{
		PrivateKey: nodeKey, ListenAddrs: listen, Bootnodes: cmdutil.SplitList(c.StringSlice(bootnodesFlag.Name)),
		LoopbackOnly: loopbackOnly(listen), MaxMessageSize: int(g.MaxBlockSize) + (1 << 20) + (1 << 20),
		Logger: log.With("module", "p2p"),
	})
	if err != nil {
		return err
	}
	defer host.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := node.NewMetrics(reg)
	if err != nil {
		return err
	}
	mempool, err := node.MempoolOf(c.Int(txpoolMaxTxsFlag.Name), c.Int(txpoolMaxSubmittedFlag.Name))
	if err != nil {
		return fmt.Errorf("--%s, --%s: %w", txpoolMaxTxsFlag.Name, txpoolMaxSubmittedFlag.Name, err)
	}
	cfg := node.Config{Genesis: g, DB: db, Network: host, Logger: log, Metrics: metrics, DevEquivocate: c.Bool(devEquivocateFlag.Name),
		Mempool: mempool}
	if validatorKey != nil {
		cfg.ValidatorKey = validatorKey
		cfg.SignerStore = signer.NewFileStore(datadirPath(c, signerStateFile))
	}
	n, err := node.New(cfg)
	if err != nil {
		return err
	}
	// The allocation is needed only to compute the genesis block, which
	// opening the chain just did (it checks the block's hash against the
	// database's). A large one (bench --l1-prefund: 100,000 accounts, some
	// 15 MB of pointers) would otherwise stay in the heap for the
	// process's life and cost the collector on every cycle.
	g.Alloc = nil
	if err := cmdutil.RegisterTrieCacheMetrics(reg, n.Chain().StateDatabase()); err != nil {
		return err
	}
	if err := cmdutil.RegisterStoreMetrics(reg, db); err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		return err
	}
	defer n.Stop()
	for _, a := range host.Multiaddrs() {
		log.Info("P2P listening", "addr", a)
	}

	var rpcServer *ethrpc.Server
	if addr := c.String(rpcAddrFlag.Name); addr != "" {
		cors, vhosts := cmdutil.RPCAccess(c)
		if rpcServer, err = startRPC(n, addr, c.Bool(adminFlag.Name), cors, vhosts, log); err != nil {
			return err
		}
	}
	var adminServer *ethrpc.Server
	if addr := c.String(adminAddrFlag.Name); addr != "" {
		if adminServer, err = startAdmin(n, addr, log); err != nil {
			return err
		}
	}
	var metricsServer *http.Server
	if addr := c.String(metricsAddrFlag.Name); addr != "" {
		if metricsServer, err = cmdutil.StartMetrics(addr, reg, c.Bool(pprofFlag.Name), log); err != nil {
			return err
		}
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	log.Info("Shutting down", "signal", s.String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, srv := range []*ethrpc.Server{rpcServer, adminServer} {
		if srv != nil {
			if err := srv.Stop(ctx); err != nil {
				log.Warn("RPC server did not stop cleanly", "err", err)
			}
		}
	}
	if metricsServer != nil {
		metricsServer.Shutdown(ctx)
	}
	return nil
}

func startRPC(n *node.Node, addr string, admin bool, cors, vhosts []string, log *slog.Logger) (*ethrpc.Server, error) {
	srv, err := ethrpc.NewServer(n.RPCBackend(), log.With("module", "rpc"))
	if err != nil {
		return nil, err
	}
	if err := srv.SetAccess(cors, vhosts); err != nil {
		return nil, fmt.Errorf("--%s: %w", rpcCORSFlag.Name, err)
	}
	if err := srv.Register("bilayer", n.API()); err != nil {
		return nil, err
	}
	if admin {
		if err := srv.Register("admin", n.AdminAPI()); err != nil {
			return nil, err
		}
		log.Warn("Admin RPC namespace enabled on the RPC port: anyone who reaches it can cut this node off its peers; prefer --admin.addr")
	}
	if err := srv.Start(addr); err != nil {
		return nil, err
	}
	return srv, nil
}

// startAdmin serves the admin_ namespace alone on its own loopback
// listener, which no browser page may call.
func startAdmin(n *node.Node, addr string, log *slog.Logger) (*ethrpc.Server, error) {
	if !ethrpc.IsLoopback(addr) {
		return nil, fmt.Errorf("--%s %s: the admin listener must be on loopback (127.0.0.1, [::1] or localhost)", adminAddrFlag.Name, addr)
	}
	srv := ethrpc.NewBareServer(log.With("module", "admin-rpc"))
	if err := srv.SetCORS(nil); err != nil {
		return nil, err
	}
	if err := srv.Register("admin", n.AdminAPI()); err != nil {
		return nil, err
	}
	if err := srv.Start(addr); err != nil {
		return nil, err
	}
	log.Warn("Admin RPC listening: whoever reaches it can cut this node off its peers", "addr", srv.Addr())
	return srv, nil
}

// l0CompactionFiles is how many flushed files this node's database
// collects in level 0 before compacting them: staggered by the node's
// place among the genesis validators (pebblestore.StaggeredL0CompactionFiles),
// so that a devnet's validators, which hold the same data on one machine,
// do not all rewrite their base level at once; the default for a node that
// is not one of them.
func l0CompactionFiles(g *genesis.Genesis, validatorKey *ecdsa.PrivateKey) int {
	if validatorKey == nil {
		return pebblestore.StaggeredL0CompactionFiles(0)
	}
	addr := crypto.PubkeyToAddress(validatorKey.PublicKey)
	for i, v := range g.Validators {
		if v.Address == addr {
			return pebblestore.StaggeredL0CompactionFiles(i)
		}
	}
	return pebblestore.StaggeredL0CompactionFiles(0)
}
