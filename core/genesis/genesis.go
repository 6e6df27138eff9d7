package genesis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// ErrInvalid is wrapped by every error that rejects a genesis file; the
// message names the bad field.
var ErrInvalid = errors.New("invalid genesis")

// Genesis is the content of a genesis file.
type Genesis struct {
	// ChainID is the EIP-155 chain id that every transaction must carry.
	ChainID uint64 `json:"chainId"`
	// Devnet marks a development network. Development-only switches (for
	// example a validator that equivocates on purpose) are refused unless
	// it is set.
	Devnet bool `json:"devnet"`
	// Timestamp is the genesis block time, in Unix seconds.
	Timestamp uint64 `json:"timestamp"`
	// ExtraData is the genesis header's extra data (at most 32 bytes).
	ExtraData hexutil.Bytes `json:"extraData,omitempty"`
	// GasLimit is the gas limit of every block.
	GasLimit uint64 `json:"gasLimit"`
	// BlockTime is the target interval between blocks ("1s").
	BlockTime Duration `json:"blockTime"`
	// MaxBlockSize is the largest encoded block, in bytes.
	MaxBlockSize uint64 `json:"maxBlockSize"`
	// BaseFee holds the EIP-1559 parameters.
	BaseFee BaseFee `json:"baseFee"`
	// Alloc is the initial state: balances, nonces and storage.
	Alloc map[common.Address]Account `json:"alloc"`
	// Validators is the genesis validator set.
	Validators []Validator `json:"validators"`
	// Consensus holds the BFT timeouts.
	Consensus Consensus `json:"consensus"`
	// Staking holds the staking contract's settings.
	Staking Staking `json:"staking"`
	// Rollup holds the optimistic rollup's parameters; nil means the chain
	// runs no rollup (no bridge), and the genesis hashes as before.
	Rollup *Rollup `json:"rollup,omitempty"`
}

// Account is an initial account state.
type Account struct {
	Balance *Amount                     `json:"balance"`
	Nonce   uint64                      `json:"nonce,omitempty"`
	Storage map[common.Hash]common.Hash `json:"storage,omitempty"`
}

// Validator is a genesis validator: its address (the Ethereum address of its
// secp256k1 signing key) and its stake.
type Validator struct {
	Address common.Address `json:"address"`
	Stake   *Amount        `json:"stake"`
	// Name is an optional label shown in logs and RPC.
	Name string `json:"name,omitempty"`
}

// BaseFee holds the EIP-1559 base-fee parameters.
type BaseFee struct {
	// Initial is the base fee of the genesis block and block 1.
	Initial *Amount `json:"initial"`
	// Minimum is the floor the base fee never goes below.
	Minimum *Amount `json:"minimum"`
	// ElasticityMultiplier is the ratio of the gas limit to the gas target.
	ElasticityMultiplier uint64 `json:"elasticityMultiplier"`
	// ChangeDenominator bounds the change per block to 1/ChangeDenominator.
	ChangeDenominator uint64 `json:"changeDenominator"`
}

// Consensus holds Tendermint timeouts: the timeout of a step in round r is
// base + r × delta.
type Consensus struct {
	TimeoutPropose        Duration `json:"timeoutPropose"`
	TimeoutProposeDelta   Duration `json:"timeoutProposeDelta"`
	TimeoutPrevote        Duration `json:"timeoutPrevote"`
	TimeoutPrevoteDelta   Duration `json:"timeoutPrevoteDelta"`
	TimeoutPrecommit      Duration `json:"timeoutPrecommit"`
	TimeoutPrecommitDelta Duration `json:"timeoutPrecommitDelta"`
}

// Staking holds the staking system contract's settings.
type Staking struct {
	// MinStake is the least stake a validator may have.
	MinStake *Amount `json:"minStake"`
	// EpochLength is the number of blocks between validator-set changes.
	EpochLength uint64 `json:"epochLength"`
	// UnbondingPeriod is the number of blocks unstaked funds stay locked.
	UnbondingPeriod uint64 `json:"unbondingPeriod"`
	// SlashPercent is the share of stake slashed for equivocation.
	SlashPercent uint64 `json:"slashPercent"`
	// BlockReward is minted each block and split among validators by stake.
	BlockReward *Amount `json:"blockReward,omitempty"`
}

// Duration is a time.Duration written in JSON as a Go duration string ("1s").
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as a string such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string such as "250ms".
func (d *Duration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"1s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// Load reads, decodes, completes and validates the genesis file at path.
func Load(path string) (*Genesis, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	g, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	return g, nil
}

// Parse decodes a genesis file strictly (unknown fields are errors), fills
// the defaults of optional settings and validates the result.
func Parse(data []byte) (*Genesis, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g Genesis
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the genesis object", ErrInvalid)
	}
	g.FillDefaults()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Save writes the genesis as indented JSON to path, synced to disk.
func (g *Genesis) Save(path string) error {
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return fmt.Errorf("encode genesis: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write genesis %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync genesis %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close genesis %s: %w", path, err)
	}
	return nil
}
