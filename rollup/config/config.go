package config

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// The rollup's fixed addresses (DESIGN section 12).
var (
	// BridgeAddress is the L1 bridge (package bridge).
	BridgeAddress = bridge.Address
	// WithdrawalQueueAddress is the L2 withdrawal queue, an L2 system
	// contract.
	WithdrawalQueueAddress = bridge.WithdrawalQueueAddress
	// FeeVault is the L2 fee vault, a plain L2 account: every L2 header's
	// Coinbase and the receiver of every L2 fee.
	FeeVault = common.HexToAddress("0x0000000000000000000000000000000000002002")
)

// Errors of FromGenesis.
var (
	// ErrNoRollup means the L1 genesis has no rollup section.
	ErrNoRollup = errors.New("the L1 genesis has no rollup section")
	// ErrUnbacked means the L2 genesis prefunds are not exactly backed by
	// the L1 bridge's genesis balance. It is wrapped together with
	// genesis.ErrInvalid.
	ErrUnbacked = errors.New("L2 prefunds not backed by the L1 bridge")
)

// Config is the rollup's parameters, read from the L1 genesis: what the
// sequencer, the challenger and the L1's rollup contract share. Treat it
// as read-only.
type Config struct {
	// L1ChainID is the L1's chain id.
	L1ChainID uint64
	// L1BlockTime is the L1's target block time.
	L1BlockTime time.Duration
	// L1GenesisTime is the L1 genesis time (Unix seconds), also the L2
	// genesis time.
	L1GenesisTime uint64

	// L2ChainID is the L2's chain id.
	L2ChainID uint64
	// L2BlockTime is the target interval between L2 blocks.
	L2BlockTime time.Duration
	// L2GasLimit is the gas limit of every L2 block.
	L2GasLimit uint64
	// MaxTxsPerBlock caps the transactions of an L2 block.
	MaxTxsPerBlock uint64
	// L2InitialBaseFee is the base fee of the L2 genesis block.
	L2InitialBaseFee *big.Int
	// L2MinBaseFee is the floor of the L2 base fee.
	L2MinBaseFee *big.Int
	// L2ElasticityMultiplier is the L2's gas limit / gas target ratio.
	L2ElasticityMultiplier uint64
	// L2BaseFeeChangeDenominator bounds the L2 base fee change per block.
	L2BaseFeeChangeDenominator uint64
	// L2Alloc is the L2 genesis prefunds (without the system contracts).
	L2Alloc map[common.Address]types.Account

	// ChallengeWindow is how many L1 blocks a batch may be challenged.
	ChallengeWindow uint64
	// SequencingWindow is how many L1 blocks may pass without a batch for
	// an origin before derivation makes deposit-only blocks.
	SequencingWindow uint64
	// MaxOriginLag is how far an L2 block's origin may lag the L1 head.
	MaxOriginLag uint64
	// SequencerBond is the bond the sequencer must hold.
	SequencerBond *big.Int
	// Sequencer is the address allowed to post batches at any time.
	Sequencer common.Address
	// SequencerTimeout is how many L1 blocks may pass after the last
	// accepted batch (or successful challenge) before any bonded account
	// may post batches too (always above SequencingWindow).
	SequencerTimeout uint64
	// L1FeeScalar prices L1 data in millionths
	// (execution.L1FeeScalarUnit) of the origin base fee per byte.
	L1FeeScalar uint64

	l1Genesis block.L1Ref
}

// FromGenesis reads the rollup's parameters from the L1 genesis g, whose
// genesis block hash is l1GenesisHash. It refuses a genesis without a
// rollup section (ErrNoRollup), one whose settings are invalid (an error
// wrapping genesis.ErrInvalid that names the field), and one whose L2
// prefunds differ from the L1 bridge's genesis balance (ErrUnbacked).
func FromGenesis(g *genesis.Genesis, l1GenesisHash common.Hash) (*Config, error) {
	if err := Validate(g); err != nil {
		return nil, err
	}
	r := g.Rollup
	return &Config{
		L1ChainID:                  g.ChainID,
		L1BlockTime:                g.BlockTime.Duration,
		L1GenesisTime:              g.Timestamp,
		L2ChainID:                  r.L2ChainID,
		L2BlockTime:                r.L2BlockTime.Duration,
		L2GasLimit:                 r.L2GasLimit,
		MaxTxsPerBlock:             r.MaxTxsPerBlock,
		L2InitialBaseFee:           r.L2BaseFee.Initial.Big(),
		L2MinBaseFee:               r.L2BaseFee.Minimum.Big(),
		L2ElasticityMultiplier:     r.L2BaseFee.ElasticityMultiplier,
		L2BaseFeeChangeDenominator: r.L2BaseFee.ChangeDenominator,
		L2Alloc:                    r.L2StateAlloc(),
		ChallengeWindow:            r.ChallengeWindow,
		SequencingWindow:           r.SequencingWindow,
		MaxOriginLag:               r.MaxOriginLag,
		SequencerBond:              r.SequencerBond.Big(),
		Sequencer:                  r.Sequencer,
		SequencerTimeout:           r.SequencerTimeout,
		L1FeeScalar:                r.L1FeeScalar,
		l1Genesis:                  block.L1Ref{Number: 0, Hash: l1GenesisHash, BaseFee: g.BaseFee.Initial.Big()},
	}, nil
}

// Validate checks what FromGenesis checks: the whole genesis (the rollup
// section's fields included) and, needing the bridge's address, that the
// L2 prefunds are exactly the L1 bridge's genesis balance, that the bridge's
// genesis account holds nothing but that balance, and that no L2 prefund
// sits on an L2 system contract. The L1 node calls it before it registers
// the bridge.
func Validate(g *genesis.Genesis) error {
	if g == nil || g.Rollup == nil {
		return ErrNoRollup
	}
	if err := g.Validate(); err != nil {
		return err
	}
	r := g.Rollup
	if _, ok := r.L2Alloc[WithdrawalQueueAddress]; ok {
		return fmt.Errorf("%w: rollup.l2Alloc[%s]: the L2 withdrawal queue is a system contract and takes no genesis allocation",
			genesis.ErrInvalid, WithdrawalQueueAddress)
	}
	acc := g.Alloc[BridgeAddress]
	if acc.Nonce != 0 || len(acc.Storage) != 0 {
		return fmt.Errorf("%w: alloc[%s]: the L1 bridge's genesis account may hold only a balance (its storage records the deposits)",
			genesis.ErrInvalid, BridgeAddress)
	}
	prefund, locked := r.L2Prefund(), acc.Balance.Big()
	if prefund.Cmp(locked) != 0 {
		return fmt.Errorf("%w: %w: rollup.l2Alloc totals %s wei but the L1 bridge (alloc[%s]) holds %s wei at genesis; they must be equal",
			genesis.ErrInvalid, ErrUnbacked, prefund, BridgeAddress, locked)
	}
	return nil
}

// L1GenesisRef is the L1 genesis block as an L1 reference: the origin of
// the L2 genesis block.
func (c *Config) L1GenesisRef() block.L1Ref {
	ref := c.l1Genesis
	ref.BaseFee = new(big.Int).Set(ref.BaseFee)
	return ref
}

// ExecutionConfig returns the L2's state-transition parameters: its chain
// id and base-fee rules, and the L2 rules (fee vault, L1 data-fee scalar,
// transaction cap).
func (c *Config) ExecutionConfig() execution.Config {
	cfg := execution.DefaultConfig(new(big.Int).SetUint64(c.L2ChainID))
	cfg.ElasticityMultiplier = c.L2ElasticityMultiplier
	cfg.BaseFeeChangeDenominator = c.L2BaseFeeChangeDenominator
	cfg.MinBaseFee = new(big.Int).Set(c.L2MinBaseFee)
	cfg.L2 = &execution.L2Rules{FeeVault: FeeVault, L1FeeScalar: c.L1FeeScalar, MaxTxsPerBlock: int(c.MaxTxsPerBlock),
		Queue: withdrawalqueue.New()}
	return cfg
}

// L2GenesisAlloc returns the L2 genesis state: the prefunds and the L2
// system contracts' accounts (nonce 1 and the marker code, as the L1 gives
// its system contracts): the withdrawal queue. The fee vault is a plain
// account and appears only if it is prefunded.
func (c *Config) L2GenesisAlloc() map[common.Address]types.Account {
	out := make(map[common.Address]types.Account, len(c.L2Alloc)+1)
	for addr, acc := range c.L2Alloc {
		if acc.Balance != nil {
			acc.Balance = new(big.Int).Set(acc.Balance)
		}
		acc.Storage = maps.Clone(acc.Storage)
		out[addr] = acc
	}
	out[WithdrawalQueueAddress] = types.Account{Nonce: 1, Code: syscontract.MarkerCode(), Balance: new(big.Int)}
	return out
}

// L2GenesisBlock returns the L2 genesis block for the state root of
// L2GenesisAlloc: number 0, the L1 genesis time, the L2 gas limit and
// initial base fee, the fee vault as coinbase, and the L1 genesis block as
// its origin, with no operations.
func (c *Config) L2GenesisBlock(stateRoot common.Hash) *block.Block {
	return block.AssembleL2(&types.Header{
		ParentHash:  common.Hash{},
		Coinbase:    FeeVault,
		Root:        stateRoot,
		ReceiptHash: types.EmptyReceiptsHash,
		Number:      new(big.Int),
		GasLimit:    c.L2GasLimit,
		Time:        c.L1GenesisTime,
		BaseFee:     new(big.Int).Set(c.L2InitialBaseFee),
	}, nil, block.L2Extras{Origin: c.L1GenesisRef()})
}
