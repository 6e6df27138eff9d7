package devnet

import (
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet/devkeys"
)

// SummaryInfo is what the devnet summary shows.
type SummaryInfo struct {
	// Endpoints are the running nodes.
	Endpoints Endpoints
	// Resumed says the devnet continued an existing data directory.
	Resumed bool
	// Heads are the nodes' heads when the summary is printed.
	Heads []uint64
	// FirstBlock is how long the nodes took from start to a committed block.
	FirstBlock time.Duration
	// DevnetCmd is how the user invoked devnet (for the reset hint).
	DevnetCmd string
	// Params are the genesis parameters (nil: the rollup section is not
	// shown).
	Params *ChainParams
	// Display is what devnet prints after the summary: DisplayWatch,
	// DisplayVerbose or DisplayQuiet ("": nothing is said).
	Display string
	// Dashboard is the URL of the dashboard's web page ("": not served).
	Dashboard string
}

// What "devnet up" prints once the summary is out (SummaryInfo.Display).
const (
	// DisplayWatch is a status line and one line per event.
	DisplayWatch = "watch"
	// DisplayVerbose is every node's log lines.
	DisplayVerbose = "verbose"
	// DisplayQuiet is nothing but nodes that exit.
	DisplayQuiet = "quiet"
)

// ChainParams are the genesis parameters a user of the devnet wants to
// know: how fast each layer goes and how long the rollup's windows are.
type ChainParams struct {
	// L1BlockTime is the L1's target block interval.
	L1BlockTime time.Duration
	// L2BlockTime is the L2's block interval under load (0: no rollup).
	L2BlockTime time.Duration
	// ChallengeWindow, SequencingWindow and SequencerTimeout are the
	// rollup's windows in L1 blocks; MaxOriginLag how far an L2 block's
	// L1 origin may trail the L1 head.
	ChallengeWindow, SequencingWindow, SequencerTimeout, MaxOriginLag uint64
	// SequencerBond is the bond a batch poster locks (nil: no rollup).
	SequencerBond *big.Int
}

// LoadChainParams reads the parameters of the devnet genesis in l.
func LoadChainParams(l Layout) (ChainParams, error) {
	g, err := genesis.Load(l.GenesisFile())
	if err != nil {
		return ChainParams{}, fmt.Errorf("read the devnet genesis: %w", err)
	}
	return ChainParamsOf(g), nil
}

// ChainParamsOf returns the parameters of genesis g.
func ChainParamsOf(g *genesis.Genesis) ChainParams {
	p := ChainParams{L1BlockTime: g.BlockTime.Duration}
	if r := g.Rollup; r != nil {
		p.L2BlockTime = r.L2BlockTime.Duration
		p.ChallengeWindow, p.SequencingWindow, p.SequencerTimeout, p.MaxOriginLag =
			r.ChallengeWindow, r.SequencingWindow, r.SequencerTimeout, r.MaxOriginLag
		if r.SequencerBond != nil {
			p.SequencerBond = r.SequencerBond.Big()
		}
	}
	return p
}

// approxBlocks is about how long n blocks of blockTime take, for a person:
// "about 30 s", "about 2 min".
func approxBlocks(n uint64, blockTime time.Duration) string {
	d := time.Duration(n) * blockTime
	if d < 2*time.Minute {
		return fmt.Sprintf("about %d s", int(d.Round(time.Second).Seconds()))
	}
	return fmt.Sprintf("about %d min", int(d.Round(time.Minute).Minutes()))
}

// WriteSummary prints the summary a user needs, as anvil does: chain ids,
// RPC URLs, the funded development accounts with their private keys, the
// mnemonic, the rollup's parameters (the challenge window in L1 blocks
// and about how long it lasts), wallet examples (an L1 transfer and, with
// a sequencer, an L2 transfer and a deposit), the data directory, the
// logs, the dashboard's URL, how to stop and reset, and what follows the
// summary.
func WriteSummary(w io.Writer, info SummaryInfo) error {
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	e := info.Endpoints
	validators := e.Validators()
	seq, hasSeq := e.Sequencer()
	ch, hasCh := e.Challenger()
	var b strings.Builder
	rule := strings.Repeat("=", 64)
	state := "started"
	if info.Resumed {
		state = "resumed"
	}
	what := fmt.Sprintf("%d validators, L1 chain id %d", len(validators), e.ChainID)
	switch {
	case hasSeq && hasCh:
		what = fmt.Sprintf("%d validators, a sequencer and a challenger, L1 chain id %d, L2 chain id %d", len(validators), e.ChainID, e.L2ChainID)
	case hasSeq:
		what = fmt.Sprintf("%d validators and a sequencer, L1 chain id %d, L2 chain id %d", len(validators), e.ChainID, e.L2ChainID)
	}
	fmt.Fprintf(&b, "\n%s\nbilayer devnet %s: %s, head %d (first block %s after start)\n%s\n",
		rule, state, what, maxHead(info.Heads), info.FirstBlock.Round(10*time.Millisecond), rule)
	where := ""
	if hasSeq {
		where = ", on the L1 and on the L2"
	}
	fmt.Fprintf(&b, "\nAvailable Accounts (%s ETH each%s)\n==================\n", etherString(DevAccountBalance.Big()), where)
	for _, a := range accounts {
		fmt.Fprintf(&b, "(%d) %s\n", a.Index, a.Address.Hex())
	}
	fmt.Fprintf(&b, "\nPrivate Keys\n==================\n")
	for _, a := range accounts {
		fmt.Fprintf(&b, "(%d) %s\n", a.Index, a.PrivateKeyHex())
	}
	fmt.Fprintf(&b, "\nWallet\n==================\nMnemonic:        %s\nDerivation path: m/44'/60'/0'/0/<i>\n", devkeys.Mnemonic)
	fmt.Fprintf(&b, "\nChain ID\n==================\nL1: %d\n", e.ChainID)
	if hasSeq {
		fmt.Fprintf(&b, "L2: %d (the rollup; sequencer %s)\n", e.L2ChainID, seq.Address)
	}
	if p := info.Params; hasSeq && p != nil && p.ChallengeWindow > 0 {
		fmt.Fprintf(&b, "\nRollup\n==================\n")
		fmt.Fprintf(&b, "L1 blocks:         every %s; L2 blocks: every %s while transactions arrive, about one per L1 block when idle\n",
			p.L1BlockTime, p.L2BlockTime)
		fmt.Fprintf(&b, "Challenge window:  %d L1 blocks (%s): a batch is final, and the L1 pays its withdrawals, that long after it is posted\n",
			p.ChallengeWindow, approxBlocks(p.ChallengeWindow, p.L1BlockTime))
		fmt.Fprintf(&b, "Sequencing window: %d L1 blocks (%s): deposits and forced exits land even if the sequencer posts nothing\n",
			p.SequencingWindow, approxBlocks(p.SequencingWindow, p.L1BlockTime))
		if p.SequencerBond != nil {
			fmt.Fprintf(&b, "Sequencer bond:    %s ETH; a wrong output loses it to one fraud-proof transaction (half to the challenger)\n",
				etherString(p.SequencerBond))
		}
	}
	fmt.Fprintf(&b, "\nNodes\n==================\n")
	for _, n := range validators {
		fmt.Fprintf(&b, "%-12s RPC %s  (ws %s)\n%-12s p2p %s\n%-12s metrics %s  pid %d\n",
			n.Name, n.RPC, n.WS, "", n.P2P, "", n.Metrics, n.PID)
	}
	if hasSeq {
		fmt.Fprintf(&b, "%-12s L2 RPC %s  (ws %s)\n%-12s metrics %s  pid %d\n",
			seq.Name, seq.RPC, seq.WS, "", seq.Metrics, seq.PID)
	}
	if hasCh {
		fmt.Fprintf(&b, "%-12s L2 RPC %s  (ws %s, read-only)\n%-12s metrics %s  pid %d  (follows the L1 at %s)\n",
			ch.Name, ch.RPC, ch.WS, "", ch.Metrics, ch.PID, ch.L1RPC)
	}
	rpc := ""
	if len(validators) > 0 {
		rpc = validators[0].RPC
	}
	rpcFlag := ""
	if rpc != fmt.Sprintf("http://127.0.0.1:%d", BaseRPCPort) {
		rpcFlag = " --rpc " + rpc
	}
	const dead = "0x000000000000000000000000000000000000dEaD"
	fmt.Fprintf(&b, "\nListening on %s (chain id %d): point ethers.js, MetaMask or ethclient there.\n", rpc, e.ChainID)
	if hasSeq {
		l2Flag := ""
		if seq.RPC != fmt.Sprintf("http://127.0.0.1:%d", BaseL2RPCPort) {
			l2Flag = " --l2-rpc " + seq.RPC
		}
		fmt.Fprintf(&b, "L2 on %s (chain id %d): the same ten accounts are prefunded there. Its blocks are\n"+
			"       soft-confirmed at once, \"safe\" once their batch is accepted on the L1 (seconds later) and\n"+
			"       \"finalized\" after the challenge window.\n", seq.RPC, e.L2ChainID)
		if hasCh {
			fmt.Fprintf(&b, "Challenger on %s: derives the L2 from the L1 alone and verifies every posted output;\n"+
				"       rollup_syncStatus there shows its verification (agreed outputs, first disagreement).\n", ch.RPC)
		}
		fmt.Fprintf(&b, "Try:   wallet%s --dev-account 0 transfer --to %s --amount 1.5\n", rpcFlag, dead)
		fmt.Fprintf(&b, "       wallet%s --layer l2 --dev-account 0 transfer --to %s --amount 1.5   (L2: gas + L1 data fee)\n", l2Flag, dead)
		fmt.Fprintf(&b, "       wallet%s%s --dev-account 0 deposit --amount 2   (L1 -> L2 through the bridge; waits until applied)\n", rpcFlag, l2Flag)
	} else {
		fmt.Fprintf(&b, "Try:   wallet%s --dev-account 0 transfer --to %s --amount 1.5\n", rpcFlag, dead)
		fmt.Fprintf(&b, "L2:    not running (--l1-only, or a devnet generated before the rollup: %s reset --datadir %s makes a new one)\n",
			info.DevnetCmd, e.Datadir)
	}
	if info.Dashboard != "" {
		fmt.Fprintf(&b, "Dashboard: %s   (a live web page of both layers: heads, validators, batches and their\n"+
			"       challenge windows, deposits, withdrawals, disputes)\n", info.Dashboard)
	}
	fmt.Fprintf(&b, "Data:  %s   (endpoints.json lists every node)\n", e.Datadir)
	fmt.Fprintf(&b, "Logs:  %s/<node>.log\n", strings.TrimSuffix(Layout{Dir: e.Datadir}.LogsDir(), "/"))
	fmt.Fprintf(&b, "Stop:  Ctrl-C (running it again resumes the chain);  wipe: %s reset --datadir %s\n",
		info.DevnetCmd, e.Datadir)
	switch info.Display {
	case DisplayWatch:
		fmt.Fprintf(&b, "Below: a status line and one line per event (transactions, batches, deposits, withdrawals,\n"+
			"       disputes, nodes down); --verbose streams every node's log lines instead.\n")
	case DisplayVerbose:
		fmt.Fprintf(&b, "Below: every node's log lines, prefixed with its name (without --verbose: a status line\n"+
			"       and one line per event).\n")
	}
	b.WriteString("\n")
	_, err = io.WriteString(w, b.String())
	return err
}

func maxHead(heads []uint64) uint64 {
	var m uint64
	for _, h := range heads {
		m = max(m, h)
	}
	return m
}

// etherString formats wei as ether without trailing zeros.
func etherString(wei *big.Int) string {
	ether := new(big.Rat).SetFrac(wei, big.NewInt(1e18))
	s := ether.FloatString(18)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
