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

// WriteSummary prints the summary a user needs, as anvil does: chain id,
// RPC URLs, the funded development accounts with their private keys, the
// mnemonic, a wallet example, the data directory, the logs, and how to
// stop and reset.
func WriteSummary(w io.Writer, info SummaryInfo) error {
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	e := info.Endpoints
	var b strings.Builder
	rule := strings.Repeat("=", 64)
	state := "started"
	if info.Resumed {
		state = "resumed"
	}
	fmt.Fprintf(&b, "\n%s\nbilayer devnet %s: %d validators, L1 chain id %d, head %d (first block %s after start)\n%s\n",
		rule, state, len(e.Nodes), e.ChainID, maxHead(info.Heads), info.FirstBlock.Round(10*time.Millisecond), rule)
	fmt.Fprintf(&b, "\nAvailable Accounts (%s ETH each)\n==================\n", etherString(DevAccountBalance.Big()))
	for _, a := range accounts {
		fmt.Fprintf(&b, "(%d) %s\n", a.Index, a.Address.Hex())
	}
	fmt.Fprintf(&b, "\nPrivate Keys\n==================\n")
	for _, a := range accounts {
		fmt.Fprintf(&b, "(%d) %s\n", a.Index, a.PrivateKeyHex())
	}
	fmt.Fprintf(&b, "\nWallet\n==================\nMnemonic:        %s\nDerivation path: m/44'/60'/0'/0/<i>\n", devkeys.Mnemonic)
	fmt.Fprintf(&b, "\nChain ID\n==================\nL1: %d\n", e.ChainID)
	fmt.Fprintf(&b, "\nNodes\n==================\n")
	for _, n := range e.Nodes {
		fmt.Fprintf(&b, "%-12s RPC %s  (ws %s)\n%-12s p2p %s\n%-12s metrics %s  pid %d\n",
			n.Name, n.RPC, n.WS, "", n.P2P, "", n.Metrics, n.PID)
	}
	rpc := ""
	if len(e.Nodes) > 0 {
		rpc = e.Nodes[0].RPC
	}
	rpcFlag := ""
	if rpc != fmt.Sprintf("http://127.0.0.1:%d", BaseRPCPort) {
		rpcFlag = " --rpc " + rpc
	}
	fmt.Fprintf(&b, "\nListening on %s (chain id %d): point ethers.js, MetaMask or ethclient there.\n", rpc, e.ChainID)
	fmt.Fprintf(&b, "Try:   wallet%s --dev-account 0 transfer --to 0x000000000000000000000000000000000000dEaD --amount 1.5\n", rpcFlag)
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
