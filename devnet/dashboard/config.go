package dashboard

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Config is what the page is told about the devnet (GET /api/config): its
// nodes, chain ids, rollup parameters, system contracts, event topics and
// development accounts. Nothing in it changes while the devnet runs; the
// page reads everything else from the nodes.
type Config struct {
	// L1ChainID and L2ChainID are the chain ids (L2ChainID 0: no L2).
	L1ChainID uint64 `json:"l1ChainId"`
	L2ChainID uint64 `json:"l2ChainId,omitempty"`
	// L1BlockTimeMs and L2BlockTimeMs are the genesis's block times in
	// milliseconds (0: unknown); the page measures the L1's itself once
	// blocks come.
	L1BlockTimeMs int64 `json:"l1BlockTimeMs"`
	L2BlockTimeMs int64 `json:"l2BlockTimeMs"`
	// ChallengeWindow, SequencingWindow and SequencerTimeout are the
	// rollup's windows in L1 blocks (0: no rollup).
	ChallengeWindow  uint64 `json:"challengeWindow"`
	SequencingWindow uint64 `json:"sequencingWindow"`
	SequencerTimeout uint64 `json:"sequencerTimeout"`
	// SequencerBond is the bond a batch poster locks, in wei (nil: unknown).
	SequencerBond *hexutil.Big `json:"sequencerBond,omitempty"`
	// Datadir is the devnet's data directory ("" when unknown).
	Datadir string `json:"datadir,omitempty"`
	// Nodes are the devnet's nodes: validators, then the sequencer and
	// the challenger. Their names are the proxy's paths (/rpc/<name>).
	Nodes []Node `json:"nodes"`
	// Contracts are the system contracts' addresses.
	Contracts Contracts `json:"contracts"`
	// Topics are the topics (keccak of the signature) of the events the
	// page decodes, by event name.
	Topics map[string]common.Hash `json:"topics"`
	// Accounts are the development accounts, funded on both layers.
	Accounts []Account `json:"accounts"`
}

// Node is one node of the devnet as the page shows it.
type Node struct {
	// Name is the node's name (validator-0, sequencer, challenger): the
	// page reaches its JSON-RPC at /rpc/<Name>.
	Name string `json:"name"`
	// Role is devnet.RoleValidator, RoleSequencer or RoleChallenger.
	Role string `json:"role"`
	// RPC and WS are the node's public JSON-RPC URLs, shown on the page
	// and the proxy's target (RPC).
	RPC string `json:"rpc"`
	WS  string `json:"ws,omitempty"`
	// Metrics is the node's Prometheus URL ("" if unknown).
	Metrics string `json:"metrics,omitempty"`
	// Validator is a validator's address; Address the sequencer's.
	Validator string `json:"validator,omitempty"`
	Address   string `json:"address,omitempty"`
	// L1RPC is the L1 node an L2 node follows.
	L1RPC string `json:"l1Rpc,omitempty"`
}

// Contracts are the addresses of the system contracts (DESIGN §12).
type Contracts struct {
	Rollup          common.Address `json:"rollup"`
	Bridge          common.Address `json:"bridge"`
	WithdrawalQueue common.Address `json:"withdrawalQueue"`
}

// Account is a development account: its index (wallet --dev-account),
// address and private key (0x-prefixed hex; the well-known development
// keys that the summary prints too).
type Account struct {
	Index      int            `json:"index"`
	Address    common.Address `json:"address"`
	PrivateKey string         `json:"privateKey"`
}

// nodeNameRE is what a node name may be: it is a URL path segment.
var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks that the nodes have usable names, unique, and HTTP(S)
// RPC URLs.
func (c Config) Validate() error {
	seen := map[string]bool{}
	for _, n := range c.Nodes {
		if !nodeNameRE.MatchString(n.Name) {
			return fmt.Errorf("dashboard: node name %q: want letters, digits, '.', '_' or '-'", n.Name)
		}
		if seen[n.Name] {
			return fmt.Errorf("dashboard: two nodes named %q", n.Name)
		}
		seen[n.Name] = true
		u, err := url.Parse(n.RPC)
		if err != nil {
			return fmt.Errorf("dashboard: node %s: RPC URL %q: %w", n.Name, n.RPC, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("dashboard: node %s: RPC URL %q: want http://host:port", n.Name, n.RPC)
		}
	}
	return nil
}

// FromEndpoints is the Config of a devnet: its nodes (eps), its genesis
// parameters (p; nil when unknown), the system contracts and the
// development accounts.
func FromEndpoints(eps devnet.Endpoints, p *devnet.ChainParams) (Config, error) {
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		return Config{}, fmt.Errorf("dashboard: development accounts: %w", err)
	}
	c := Config{
		L1ChainID: eps.ChainID, L2ChainID: eps.L2ChainID, Datadir: eps.Datadir,
		Contracts: Contracts{Rollup: contract.Address, Bridge: bridge.Address, WithdrawalQueue: bridge.WithdrawalQueueAddress},
		Topics:    Topics(),
	}
	if p != nil {
		c.L1BlockTimeMs, c.L2BlockTimeMs = p.L1BlockTime.Milliseconds(), p.L2BlockTime.Milliseconds()
		c.ChallengeWindow, c.SequencingWindow, c.SequencerTimeout = p.ChallengeWindow, p.SequencingWindow, p.SequencerTimeout
		if p.SequencerBond != nil {
			c.SequencerBond = (*hexutil.Big)(p.SequencerBond)
		}
	}
	for _, n := range eps.Nodes {
		c.Nodes = append(c.Nodes, Node{Name: n.Name, Role: n.Role, RPC: n.RPC, WS: n.WS, Metrics: n.Metrics,
			Validator: n.Validator, Address: n.Address, L1RPC: n.L1RPC})
	}
	for _, a := range accounts {
		c.Accounts = append(c.Accounts, Account{Index: a.Index, Address: a.Address, PrivateKey: a.PrivateKeyHex()})
	}
	return c, c.Validate()
}

// Topics are the topics of the events the page decodes: the rollup
// contract's BatchAccepted, BatchFinalized and Challenged, the bridge's
// Deposit, ForceWithdrawal, ForceTransfer and WithdrawalPaid, and the
// withdrawal queue's WithdrawalInitiated.
func Topics() map[string]common.Hash {
	t := map[string]common.Hash{}
	for _, name := range []string{"BatchAccepted", "BatchFinalized", "Challenged"} {
		t[name] = contract.ABI().Events[name].ID
	}
	for _, name := range []string{"Deposit", "ForceWithdrawal", "ForceTransfer", "WithdrawalPaid"} {
		t[name] = bridge.ABI().Events[name].ID
	}
	t["WithdrawalInitiated"] = withdrawalqueue.InitiatedTopic()
	return t
}
