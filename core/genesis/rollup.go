package genesis

import (
	"fmt"
	"maps"
	"math/big"
	"time"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Rollup holds the optimistic rollup's parameters (DESIGN section 6): every
// L1 validator knows them, and the L2 genesis is a function of them and of
// the L1 genesis.
//
// Required: l2ChainId, challengeWindow, sequencingWindow, sequencerBond and
// sequencer. Every other field has a default (FillDefaults); a zero value
// means "the default", so maxOriginLag, sequencerTimeout and l1FeeScalar
// cannot be set to 0.
type Rollup struct {
	// L2ChainID is the EIP-155 chain id of L2 transactions (devnet 1338).
	L2ChainID uint64 `json:"l2ChainId"`
	// L2BlockTime is the target interval between L2 blocks ("250ms").
	L2BlockTime Duration `json:"l2BlockTime"`
	// L2GasLimit is the gas limit of every L2 block.
	L2GasLimit uint64 `json:"l2GasLimit"`
	// MaxTxsPerBlock caps the transactions of one L2 block, so that a
	// block's witness fits one L1 challenge transaction.
	MaxTxsPerBlock uint64 `json:"maxTxsPerBlock"`
	// L2BaseFee holds the L2's EIP-1559 parameters: the base fee of the L2
	// genesis block and its floor.
	L2BaseFee BaseFee `json:"l2BaseFee"`
	// L2Alloc is the initial L2 state. Its total balance must equal the L1
	// bridge account's genesis balance: every L2 wei is backed on L1.
	L2Alloc map[common.Address]Account `json:"l2Alloc"`
	// ChallengeWindow is how many L1 blocks a batch may be challenged for
	// before it finalizes.
	ChallengeWindow uint64 `json:"challengeWindow"`
	// SequencingWindow is how many L1 blocks may pass without a batch for
	// an L1 origin before derivation makes deposit-only L2 blocks for it.
	SequencingWindow uint64 `json:"sequencingWindow"`
	// MaxOriginLag is how many L1 blocks an L2 block's L1 origin may lag
	// the L1 head.
	MaxOriginLag uint64 `json:"maxOriginLag"`
	// SequencerBond is the bond the sequencer must hold in the rollup
	// contract to post batches.
	SequencerBond *Amount `json:"sequencerBond"`
	// Sequencer is the address allowed to post batches at any time.
	Sequencer common.Address `json:"sequencer"`
	// SequencerTimeout is how many L1 blocks may pass after the last
	// accepted batch (or successful challenge) before any bonded account,
	// not only the sequencer, may post batches: so forced withdrawals
	// still finalize when the sequencer is gone. It must be above
	// sequencingWindow (default 2 × sequencingWindow).
	SequencerTimeout uint64 `json:"sequencerTimeout"`
	// L1FeeScalar prices an L2 transaction's L1 data, in millionths: the
	// L1 data fee is estimatedCompressedSize × originBaseFee ×
	// l1FeeScalar / 1,000,000 (16,000,000 = 16 L1 gas per byte).
	L1FeeScalar uint64 `json:"l1FeeScalar"`
}

// Defaults of the rollup section's optional settings.
const (
	// DefaultL2BlockTime is the L2 block time: 250 ms.
	DefaultL2BlockTime = 250 * time.Millisecond
	// DefaultMaxTxsPerBlock caps an L2 block at 1,000 transactions: about
	// 1.3 MB of witness for transfers among many accounts (500 gave 630 KB
	// here), well inside a 4 MiB challenge transaction.
	DefaultMaxTxsPerBlock = 1_000
	// DefaultL2GasLimit is 1,000 transactions of 50,000 gas.
	DefaultL2GasLimit = 50_000_000
	// DefaultMaxOriginLag is how far the L1 origin may lag the L1 head.
	DefaultMaxOriginLag = 2
	// DefaultL1FeeScalar charges 16 L1 gas per estimated compressed byte,
	// the calldata price of a non-zero byte.
	DefaultL1FeeScalar = 16 * execution.L1FeeScalarUnit
	// DefaultSequencerTimeoutFactor makes the default sequencer timeout
	// twice the sequencing window: deposit-only blocks exist S L1 blocks
	// after their origin, and the sequencer keeps as long again to post
	// them before anyone else may.
	DefaultSequencerTimeoutFactor = 2
)

// Limits on the rollup section.
const (
	// MaxL2TxsPerBlock is the largest allowed maxTxsPerBlock.
	MaxL2TxsPerBlock = 10_000
	// MaxRollupWindow bounds challengeWindow, sequencingWindow and
	// sequencerTimeout, in L1 blocks.
	MaxRollupWindow = 1_000_000
	// MaxL1FeeScalar is the largest l1FeeScalar: 1,000 L1 gas per byte.
	MaxL1FeeScalar = 1_000 * execution.L1FeeScalarUnit
)

// fillDefaults sets the unset optional settings of the section.
func (r *Rollup) fillDefaults() {
	if r.L2BlockTime.Duration == 0 {
		r.L2BlockTime.Duration = DefaultL2BlockTime
	}
	if r.L2GasLimit == 0 {
		r.L2GasLimit = DefaultL2GasLimit
	}
	if r.MaxTxsPerBlock == 0 {
		r.MaxTxsPerBlock = DefaultMaxTxsPerBlock
	}
	r.L2BaseFee.fillDefaults(DefaultL2MinBaseFee)
	if r.MaxOriginLag == 0 {
		r.MaxOriginLag = DefaultMaxOriginLag
	}
	if r.L1FeeScalar == 0 {
		r.L1FeeScalar = DefaultL1FeeScalar
	}
	if r.SequencerTimeout == 0 {
		r.SequencerTimeout = DefaultSequencerTimeoutFactor * r.SequencingWindow
	}
	if r.L2Alloc == nil {
		r.L2Alloc = map[common.Address]Account{}
	}
}

// validateRollup checks the rollup section's own fields (if there is one).
// What needs the bridge's address (the L2 prefund backed by the L1
// bridge balance) is checked by rollup/config.
func (g *Genesis) validateRollup() error {
	r := g.Rollup
	if r == nil {
		return nil
	}
	switch {
	case r.L2ChainID == 0:
		return fieldErr("rollup.l2ChainId", "must be set and non-zero")
	case r.L2ChainID == g.ChainID:
		return fieldErr("rollup.l2ChainId", "%d is the L1 chain id; L2 transactions need their own", r.L2ChainID)
	case r.L2BlockTime.Duration <= 0 || r.L2BlockTime.Duration > MaxBlockTime:
		return fieldErr("rollup.l2BlockTime", "%s is outside (0, %s]", r.L2BlockTime.Duration, MaxBlockTime)
	case r.L2GasLimit < MinGasLimit || r.L2GasLimit > MaxGasLimit:
		return fieldErr("rollup.l2GasLimit", "%d is outside [%d, %d]", r.L2GasLimit, MinGasLimit, uint64(MaxGasLimit))
	case r.MaxTxsPerBlock == 0 || r.MaxTxsPerBlock > MaxL2TxsPerBlock:
		return fieldErr("rollup.maxTxsPerBlock", "%d is outside [1, %d]", r.MaxTxsPerBlock, MaxL2TxsPerBlock)
	}
	if err := r.L2BaseFee.validate("rollup.l2BaseFee"); err != nil {
		return err
	}
	switch {
	case r.ChallengeWindow == 0 || r.ChallengeWindow > MaxRollupWindow:
		return fieldErr("rollup.challengeWindow", "%d L1 blocks is outside [1, %d]: it must be at least 1", r.ChallengeWindow, MaxRollupWindow)
	case r.SequencingWindow == 0 || r.SequencingWindow > MaxRollupWindow:
		return fieldErr("rollup.sequencingWindow", "%d L1 blocks is outside [1, %d]: it must be at least 1", r.SequencingWindow, MaxRollupWindow)
	case r.MaxOriginLag == 0 || r.MaxOriginLag >= r.SequencingWindow:
		return fieldErr("rollup.maxOriginLag", "%d L1 blocks must be at least 1 and below rollup.sequencingWindow (%d)", r.MaxOriginLag, r.SequencingWindow)
	case r.SequencerBond == nil || r.SequencerBond.Big().Sign() == 0:
		return fieldErr("rollup.sequencerBond", "must be set and above zero")
	case r.Sequencer == (common.Address{}):
		return fieldErr("rollup.sequencer", "must be set: the address allowed to post batches")
	case r.SequencerTimeout <= r.SequencingWindow || r.SequencerTimeout > MaxRollupWindow:
		return fieldErr("rollup.sequencerTimeout", "%d L1 blocks must be above rollup.sequencingWindow (%d) and at most %d: "+
			"others may post only after the sequencer had the whole window to post an origin's blocks", r.SequencerTimeout, r.SequencingWindow, MaxRollupWindow)
	case r.L1FeeScalar > MaxL1FeeScalar:
		return fieldErr("rollup.l1FeeScalar", "%d is above %d (1,000 L1 gas per byte)", r.L1FeeScalar, MaxL1FeeScalar)
	}
	_, err := accountsTotal("rollup.l2Alloc", r.L2Alloc)
	return err
}

// accountsTotal checks each account's storage size and returns the sum of
// the balances, refusing a sum above 2^256-1.
func accountsTotal(field string, alloc map[common.Address]Account) (*big.Int, error) {
	total := new(big.Int)
	for addr, acc := range alloc {
		total.Add(total, acc.Balance.Big())
		if len(acc.Storage) > 1<<16 {
			return nil, fieldErr(fmt.Sprintf("%s[%s].storage", field, addr), "%d slots, at most %d", len(acc.Storage), 1<<16)
		}
	}
	if total.Cmp(maxAmount) > 0 {
		return nil, fieldErr(field, "the total balance exceeds 2^256-1 wei")
	}
	return total, nil
}

// L2Prefund returns the total balance of the L2 genesis allocations.
func (r *Rollup) L2Prefund() *big.Int {
	total := new(big.Int)
	for _, acc := range r.L2Alloc {
		total.Add(total, acc.Balance.Big())
	}
	return total
}

// L2StateAlloc returns the L2 genesis allocations in go-ethereum's form.
// The caller adds the L2 system contracts' accounts.
func (r *Rollup) L2StateAlloc() map[common.Address]types.Account {
	out := make(map[common.Address]types.Account, len(r.L2Alloc))
	for addr, acc := range r.L2Alloc {
		out[addr] = types.Account{Balance: acc.Balance.Big(), Nonce: acc.Nonce, Storage: maps.Clone(acc.Storage)}
	}
	return out
}
