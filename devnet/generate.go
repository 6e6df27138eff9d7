package devnet

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/keyfile"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrIncomplete is returned when a data directory holds a devnet whose
// generation did not finish.
var ErrIncomplete = errors.New("incomplete devnet data directory")

// GenerateOptions say what devnet Generate creates and with which tools.
type GenerateOptions struct {
	// Layout is the data directory to create.
	Layout Layout
	// Validators is the number of validators.
	Validators int
	// PortOffset shifts every local port.
	PortOffset int
	// Mode is where the nodes will run.
	Mode Mode
	// ValidatorBin is the validator binary whose init and peer-id
	// subcommands create each node's data directory.
	ValidatorBin string
	// Now gives the genesis time.
	Now func() time.Time
	// NewKey generates a validator key.
	NewKey func() (*ecdsa.PrivateKey, error)
	// NewPassword generates the key files' password.
	NewPassword func() (string, error)
	// Output receives the output of validator init (nil discards it).
	Output io.Writer
	// Prefund funds that many more accounts at genesis
	// (PrefundAddresses, PrefundBalance each; at most MaxPrefund), so the
	// chain's state starts that large: the L1 benchmark gives the devnet
	// the state-transition benchmark's 100k accounts.
	Prefund int
}

// Generate creates a devnet in opts.Layout.Dir: a password file, one
// validator key per node, the sequencer's keystore (SequencerKeyFile,
// encrypted with the same password), the genesis (NewGenesis, with the
// rollup section naming that sequencer) and, through
// "validator init", each node's data directory; then devnet.json. If the
// directory already holds a devnet it returns that devnet's config
// unchanged, so generating is idempotent.
func Generate(ctx context.Context, opts GenerateOptions) (Config, bool, error) {
	l := opts.Layout
	if cfg, err := LoadConfig(l); err == nil {
		return cfg, false, nil
	} else if !errors.Is(err, ErrNotGenerated) {
		return Config{}, false, err
	}
	if _, err := os.Stat(l.GenesisFile()); err == nil {
		return Config{}, false, fmt.Errorf("%w: %s has a genesis but no %s; run \"devnet reset\" and start again",
			ErrIncomplete, l.Dir, configFileName)
	}
	if opts.Mode == "" {
		opts.Mode = ModeLocal
	}
	if err := ValidateOffset(opts.Validators, opts.PortOffset); err != nil {
		return Config{}, false, err
	}
	if opts.Prefund < 0 || opts.Prefund > MaxPrefund {
		return Config{}, false, fmt.Errorf("prefund %d accounts: must be between 0 and %d", opts.Prefund, MaxPrefund)
	}
	if err := os.MkdirAll(l.LogsDir(), 0o700); err != nil {
		return Config{}, false, fmt.Errorf("create devnet directory: %w", err)
	}
	pw, err := opts.NewPassword()
	if err != nil {
		return Config{}, false, fmt.Errorf("generate password: %w", err)
	}
	if err := os.WriteFile(l.PasswordFile(), []byte(pw+"\n"), 0o600); err != nil {
		return Config{}, false, fmt.Errorf("write password file: %w", err)
	}
	keys := make([]*ecdsa.PrivateKey, opts.Validators)
	addrs := make([]common.Address, opts.Validators)
	for i := range keys {
		if keys[i], err = opts.NewKey(); err != nil {
			return Config{}, false, fmt.Errorf("generate key of %s: %w", NodeName(i), err)
		}
		addrs[i] = crypto.PubkeyToAddress(keys[i].PublicKey)
	}
	seqKey, err := opts.NewKey()
	if err != nil {
		return Config{}, false, fmt.Errorf("generate the sequencer key: %w", err)
	}
	seqAddr := crypto.PubkeyToAddress(seqKey.PublicKey)
	// No genesis names a sequencer key left by an interrupted run (the
	// password it was encrypted with was just replaced): start afresh.
	if err := os.Remove(l.SequencerKeyFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Config{}, false, fmt.Errorf("remove a stale sequencer key: %w", err)
	}
	if err := keyfile.Create(l.SequencerKeyFile(), seqKey, pw, keyfile.Light); err != nil {
		return Config{}, false, fmt.Errorf("write the sequencer key: %w", err)
	}
	if err := writeChallengerKey(l, pw); err != nil {
		return Config{}, false, err
	}
	g, err := NewGenesis(addrs, seqAddr, uint64(opts.Now().Unix()))
	if err != nil {
		return Config{}, false, err
	}
	addPrefund(g, opts.Prefund)
	if err := g.Save(l.GenesisFile()); err != nil {
		return Config{}, false, fmt.Errorf("write genesis: %w", err)
	}
	cfg := Config{Validators: opts.Validators, PortOffset: opts.PortOffset, Mode: opts.Mode, ChainID: g.ChainID,
		Sequencer: &SequencerIdentity{Address: seqAddr.Hex(), Keystore: SequencerKeyPath}}
	for i, key := range keys {
		id, err := initNode(ctx, opts, i, key)
		if err != nil {
			return Config{}, false, err
		}
		cfg.Nodes = append(cfg.Nodes, NodeIdentity{Name: NodeName(i), Validator: addrs[i].Hex(), PeerID: id})
	}
	if err := SaveConfig(l, cfg); err != nil {
		return Config{}, false, err
	}
	return cfg, true, nil
}

// initNode runs "validator init" for node i with its key, then
// "validator peer-id", and returns the node's peer id.
func initNode(ctx context.Context, opts GenerateOptions, i int, key *ecdsa.PrivateKey) (string, error) {
	l := opts.Layout
	keyFile := l.NodeDir(i) + ".key"
	if err := os.WriteFile(keyFile, []byte(fmt.Sprintf("%x\n", crypto.FromECDSA(key))), 0o600); err != nil {
		return "", fmt.Errorf("write key of %s: %w", NodeName(i), err)
	}
	defer os.Remove(keyFile)
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	_, err := runTool(ctx, opts.ValidatorBin, out, "init", "--datadir", l.NodeDir(i), "--genesis", l.GenesisFile(),
		"--password-file", l.PasswordFile(), "--lightkdf", "--import-key", keyFile)
	if err != nil {
		return "", fmt.Errorf("init %s: %w", NodeName(i), err)
	}
	id, err := runTool(ctx, opts.ValidatorBin, nil, "peer-id", "--datadir", l.NodeDir(i), "--password-file", l.PasswordFile())
	if err != nil {
		return "", fmt.Errorf("peer id of %s: %w", NodeName(i), err)
	}
	return strings.TrimSpace(id), nil
}

// runTool runs bin with args and returns its standard output, copying it to
// out when out is not nil. A failure's error carries the tool's stderr.
func runTool(ctx context.Context, bin string, out io.Writer, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if out != nil {
		cmd.Stdout = io.MultiWriter(&stdout, out)
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", bin, args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// ChallengerAccount is the development account whose key the devnet's
// challenger uses to pay for fraud proofs (funded on L1 like every
// development account).
const ChallengerAccount = 9

// writeChallengerKey writes the challenger's keystore: development account
// ChallengerAccount, encrypted with the devnet password.
func writeChallengerKey(l Layout, pw string) error {
	accounts, err := devkeys.Accounts(ChallengerAccount + 1)
	if err != nil {
		return fmt.Errorf("the challenger key: %w", err)
	}
	if err := os.Remove(l.ChallengerKeyFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove a stale challenger key: %w", err)
	}
	if err := keyfile.Create(l.ChallengerKeyFile(), accounts[ChallengerAccount].Key, pw, keyfile.Light); err != nil {
		return fmt.Errorf("write the challenger key: %w", err)
	}
	return nil
}
