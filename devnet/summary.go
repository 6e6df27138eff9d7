package devnet

import (
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

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
}

// WriteSummary prints the summary a user needs, as anvil does: chain ids,
// RPC URLs, the funded development accounts with their private keys, the
// mnemonic, wallet examples (an L1 transfer and, with a sequencer, an L2
// transfer and a deposit), the data directory, the logs, and how to stop
// and reset.
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
	fmt.Fprintf(&b, "Data:  %s   (endpoints.json lists every node)\n", e.Datadir)
	fmt.Fprintf(&b, "Logs:  %s/<node>.log\n", strings.TrimSuffix(Layout{Dir: e.Datadir}.LogsDir(), "/"))
	fmt.Fprintf(&b, "Stop:  Ctrl-C (running it again resumes the chain);  wipe: %s reset --datadir %s\n\n",
		info.DevnetCmd, e.Datadir)
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
