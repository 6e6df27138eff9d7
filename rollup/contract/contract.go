package contract

import (
	_ "embed"
	"errors"
	"fmt"
	"math"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/batch"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

//go:embed rollup.json
var rollupABI string

// Address is the rollup contract's fixed address (DESIGN section 12).
var Address = common.HexToAddress("0x0000000000000000000000000000000000001002")

// Sizes and bounds.
const (
	// MaxBatchSize is the largest batch submitBatch accepts: 4 MiB, version
	// byte included (batch.MaxBatchBytes).
	MaxBatchSize = batch.MaxBatchBytes
	// MaxCallDataSize is the contract's calldata limit: the larger of a
	// submitBatch call carrying a batch of MaxBatchSize bytes (selector,
	// offset and length words, the data padded to 32 bytes) and a
	// challenge call carrying a proof of protocol.MaxFraudProofSize bytes
	// (one more word: the L2 block number). The chain's transaction size
	// limit rises accordingly for calls to this contract.
	MaxCallDataSize = max(maxSubmitBatchCallData, maxChallengeCallData)
	// maxSubmitBatchCallData is submitBatch's calldata for a maximal batch.
	maxSubmitBatchCallData = 4 + 32 + 32 + (MaxBatchSize+31)/32*32
	// maxChallengeCallData is challenge's calldata for a maximal proof.
	maxChallengeCallData = 4 + 32 + 32 + 32 + (protocol.MaxFraudProofSize+31)/32*32
	// HistorySize is how many recent L1 blocks the contract remembers
	// (number, hash, base fee, time), in a ring, as EIP-2935 does.
	HistorySize = 8192
	// MaxFinalizePerBlock bounds the batches one end-of-block hook
	// finalizes; the rest wait for the next block.
	MaxFinalizePerBlock = 16
	// MaxDecompressedBatch bounds a batch's decompressed payload.
	MaxDecompressedBatch = 16 << 20
)

// Gas costs, on top of the transaction's intrinsic and calldata gas.
const (
	// BondGas covers bond(): two storage writes and a log.
	BondGas = 30_000
	// UnbondGas covers unbond(): a storage write, a transfer and a log.
	UnbondGas = 40_000
	// SubmitBatchGas is the fixed cost of submitBatch: decoding set-up,
	// about ten storage writes and a log.
	SubmitBatchGas = 150_000
	// BatchBlockGas is charged per block of a batch: its inputs hash,
	// withdrawals root, output root, leaf and Merkle node (about eight
	// keccak256 over short inputs).
	BatchBlockGas = 2_000
	// BatchTxGas is charged per transaction of a batch: hashing it into
	// its block's transactions root.
	BatchTxGas = 300
	// BatchWithdrawalGas is charged per withdrawal of a batch: hashing it
	// into two roots (500) and storing it until it is paid, three words
	// at syscontract.StorageWriteGas (15,000). Clearing them at the payout
	// is end-of-block work, which no one pays.
	BatchWithdrawalGas = 500 + withdrawalWords*syscontract.StorageWriteGas
	// ViewGas is the cost of a view.
	ViewGas = 5_000
	// SearchStepGas is charged per step of batchOfBlock's binary search
	// (one storage read).
	SearchStepGas = 2_100
	// FinalizeGas is charged per batch the end-of-block hook examines.
	FinalizeGas = 2_000
	// EndBlockGasBudget bounds the end-of-block hook: recording the L1
	// block (three storage writes), the one-time initialization and up to
	// MaxFinalizePerBlock finalizations (1,000,000 covers them with a wide
	// margin), then up to MaxPayoutsPerBlock payouts of at most
	// MaxPayoutGas each, and the payout cursor and a halt log: 11,260,000.
	// It was 1,000,000 before payouts; it had to rise so that a block pays
	// its 256 withdrawals (each a few storage writes, a transfer and a
	// log). A block paying 256 used 9,873,117 gas, and 4 ms in the hook plus
	// 3 ms of state-root hashing on the shared 2-core machine.
	EndBlockGasBudget = 1_000_000 + MaxPayoutsPerBlock*MaxPayoutGas + payoutReserveGas
)

// Errors of the contract; a call that fails with one reverts with its
// text as the reason. Test with errors.Is.
var (
	// ErrNotSequencer means the caller is not the sequencer named in the
	// genesis and the sequencer timeout has not passed yet: until then only
	// the sequencer may post.
	ErrNotSequencer = errors.New("rollup: only the sequencer named in the genesis may post before the sequencer timeout")
	// ErrBondTooLow means the poster's bond is below the configured
	// sequencer bond.
	ErrBondTooLow = errors.New("rollup: the poster's bond is below the required bond")
	// ErrNothingBonded means unbond() was called with no bond.
	ErrNothingBonded = errors.New("rollup: nothing bonded")
	// ErrBondLocked means the bond still backs a batch that may be
	// challenged.
	ErrBondLocked = errors.New("rollup: the bond backs a batch still in its challenge window")
	// ErrBatchTooLarge means the batch data is above MaxBatchSize.
	ErrBatchTooLarge = errors.New("rollup: batch too large")
	// ErrUndecodable means the batch data does not decode (the wrapped
	// error, from rollup/batch, says why).
	ErrUndecodable = errors.New("rollup: undecodable batch")
	// ErrRefused means the batch decodes but breaks a rule of
	// protocol.CheckBatch (wrapped).
	ErrRefused = errors.New("rollup: batch refused")
	// ErrNotInitialized means the contract has not recorded the L1
	// genesis yet (before L1 block 1), so the L2 genesis is unknown.
	ErrNotInitialized = errors.New("rollup: the contract starts at L1 block 1")
	// ErrNoBatch means a batch index or L2 block that no accepted batch
	// has.
	ErrNoBatch = errors.New("rollup: no such batch")
	// ErrNotInHistory means an L1 block the history does not hold: newer
	// than the last finished block or older than HistorySize blocks.
	ErrNotInHistory = errors.New("rollup: L1 block not in the history kept")
	// ErrBadState means the contract's storage does not hold what the
	// contract writes.
	ErrBadState = errors.New("rollup: contract storage is inconsistent")
	// ErrBadConfig means New was given a rollup config the contract
	// cannot run.
	ErrBadConfig = errors.New("rollup: invalid contract config")
)

// parsedABI is the contract's ABI, parsed once from the embedded JSON (a
// test proves it parses and equals abi/rollup.json).
var parsedABI = mustParseABI()

func mustParseABI() *abi.ABI {
	a, err := syscontract.ParseABI(rollupABI)
	if err != nil {
		panic(fmt.Sprintf("rollup contract: embedded rollup.json: %v", err))
	}
	return a
}

// ABI returns the contract's Solidity ABI (shared; do not modify it).
func ABI() *abi.ABI { return parsedABI }

// Contract is the L1 rollup system contract. It holds only its
// configuration: everything it remembers is in its account's storage.
type Contract struct {
	cfg        *rollupconfig.Config
	bond       *uint256.Int
	caps       protocol.Caps
	l2GenState common.Hash
	// exec is the L2 state transition's config (the fraud-proof verifier
	// re-executes L2 blocks with it); read-only.
	exec execution.Config
	// l2reg holds the L2 system contracts the re-execution runs (the
	// withdrawal queue).
	l2reg *syscontract.Registry
	// decode turns posted data into a batch (decodeBatch with limits;
	// tests of this package may replace it).
	decode func(data []byte) (*protocol.Batch, error)
}

var (
	_ syscontract.Contract   = (*Contract)(nil)
	_ syscontract.EndBlocker = (*Contract)(nil)
)

// New returns the rollup contract for cfg. It computes the L2 genesis
// state root (the L2 genesis hash also depends on the L1 genesis hash,
// which the contract learns on chain: see doc.go). It refuses a config
// whose sequencing window does not fit the history (an origin still in its
// window must be in the history), whose sequencer timeout is not above the
// sequencing window, or whose bond is not a positive 256-bit amount.
func New(cfg *rollupconfig.Config) (*Contract, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: no config", ErrBadConfig)
	}
	if cfg.SequencingWindow == 0 || cfg.SequencingWindow >= HistorySize {
		return nil, fmt.Errorf("%w: sequencing window %d L1 blocks must be in [1, %d): the history must hold every origin still in its window",
			ErrBadConfig, cfg.SequencingWindow, HistorySize)
	}
	if cfg.SequencerTimeout <= cfg.SequencingWindow {
		return nil, fmt.Errorf("%w: sequencer timeout %d L1 blocks must be above the sequencing window %d",
			ErrBadConfig, cfg.SequencerTimeout, cfg.SequencingWindow)
	}
	if cfg.ChallengeWindow == 0 || cfg.MaxTxsPerBlock == 0 || cfg.L2GasLimit == 0 {
		return nil, fmt.Errorf("%w: challenge window, transaction cap and L2 gas limit must be positive", ErrBadConfig)
	}
	bond, overflow := uint256.FromBig(cfg.SequencerBond)
	if cfg.SequencerBond == nil || overflow || bond.IsZero() {
		return nil, fmt.Errorf("%w: sequencer bond %v is not a positive 256-bit amount", ErrBadConfig, cfg.SequencerBond)
	}
	root, err := statedb.AllocRoot(cfg.L2GenesisAlloc())
	if err != nil {
		return nil, fmt.Errorf("%w: L2 genesis state: %w", ErrBadConfig, err)
	}
	lim := BatchLimits(cfg)
	if err := lim.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	exec := cfg.ExecutionConfig()
	if err := exec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: L2 execution config: %w", ErrBadConfig, err)
	}
	l2reg, err := exec.L2.SystemContracts()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	c := &Contract{cfg: cfg, bond: bond, caps: BatchCaps(cfg), l2GenState: root, exec: exec, l2reg: l2reg}
	c.decode = func(data []byte) (*protocol.Batch, error) { return decodeBatch(data, lim) }
	return c, nil
}

// BatchLimits returns the limits the contract decodes batches with: the
// batcher must keep them, and derivation decodes with them too. A block
// may carry as many withdrawals as it can initiate: one per transaction
// and one per forced withdrawal of its origin.
func BatchLimits(cfg *rollupconfig.Config) batch.Limits {
	lim := batch.DefaultLimits()
	lim.MaxBatchBytes = MaxBatchSize
	lim.MaxDecompressedBytes = MaxDecompressedBatch
	lim.MaxTxsPerBlock = int(min(cfg.MaxTxsPerBlock, math.MaxInt32))
	lim.MaxTxSize = int(min(cfg.ExecutionConfig().MaxTxSize, math.MaxInt32))
	lim.MaxWithdrawalsPerBlock = lim.MaxTxsPerBlock + bridge.MaxOperationsPerBlock
	return lim
}

// BatchCaps returns the caps protocol.CheckBatch applies for cfg.
func BatchCaps(cfg *rollupconfig.Config) protocol.Caps {
	lim := BatchLimits(cfg)
	return protocol.Caps{
		MaxBlocks:              uint64(lim.MaxBlocks),
		MaxTxsPerBlock:         cfg.MaxTxsPerBlock,
		MaxWithdrawalsPerBlock: uint64(lim.MaxWithdrawalsPerBlock),
		L2GasLimit:             cfg.L2GasLimit,
	}
}

// Address implements syscontract.Contract.
func (c *Contract) Address() common.Address { return Address }

// ABI implements syscontract.Contract.
func (c *Contract) ABI() *abi.ABI { return parsedABI }

// MaxCallDataSize implements syscontract.Contract: a whole batch or a
// whole fraud proof.
func (c *Contract) MaxCallDataSize() uint64 { return MaxCallDataSize }

// EndBlockGas implements syscontract.EndBlocker.
func (c *Contract) EndBlockGas() uint64 { return EndBlockGasBudget }

// Methods implements syscontract.Contract.
func (c *Contract) Methods() map[string]syscontract.Method {
	return map[string]syscontract.Method{
		"bond":                {Gas: BondGas, Handler: c.handleBond},
		"unbond":              {Gas: UnbondGas, Handler: c.handleUnbond},
		"submitBatch":         {Gas: SubmitBatchGas, Handler: c.handleSubmitBatch},
		"challenge":           {Gas: ChallengeGas, Handler: c.handleChallenge},
		"disputeCount":        {Gas: ViewGas, Handler: c.viewDisputeCount},
		"dispute":             {Gas: ViewGas, Handler: c.viewDispute},
		"l1BlockHash":         {Gas: ViewGas, Handler: c.viewL1BlockHash},
		"l1BlockInfo":         {Gas: ViewGas, Handler: c.viewL1BlockInfo},
		"latestBlock":         {Gas: ViewGas, Handler: c.viewLatestBlock},
		"finalizedBlock":      {Gas: ViewGas, Handler: c.viewFinalizedBlock},
		"batchCount":          {Gas: ViewGas, Handler: c.viewBatchCount},
		"finalizedBatchCount": {Gas: ViewGas, Handler: c.viewFinalizedBatchCount},
		"batch":               {Gas: ViewGas, Handler: c.viewBatch},
		"batchWithdrawals":    {Gas: ViewGas, Handler: c.viewBatchWithdrawals},
		"batchOfBlock":        {Gas: ViewGas, Handler: c.viewBatchOfBlock},
		"lastAccepted":        {Gas: ViewGas, Handler: c.viewLastAccepted},
		"l2Genesis":           {Gas: ViewGas, Handler: c.viewL2Genesis},
		"bondOf":              {Gas: ViewGas, Handler: c.viewBondOf},
		"fallbackFrom":        {Gas: ViewGas, Handler: c.viewFallbackFrom},
		"paidWithdrawals":     {Gas: ViewGas, Handler: c.viewPaidWithdrawals},
		"withdrawalStatus":    {Gas: ViewGas, Handler: c.viewWithdrawalStatus},
	}
}

// L2GenesisStateRoot returns the state root of the L2 genesis
// (cfg.L2GenesisAlloc()).
func (c *Contract) L2GenesisStateRoot() common.Hash { return c.l2GenState }

// L2GenesisHash returns the hash of the L2 genesis block whose origin is
// the L1 genesis block l1GenesisHash: cfg.L2GenesisBlock with the origin's
// hash set to it (the config given to New may not know it).
func (c *Contract) L2GenesisHash(l1GenesisHash common.Hash) common.Hash {
	b := c.cfg.L2GenesisBlock(c.l2GenState)
	extras := *b.L2
	extras.Origin.Hash = l1GenesisHash
	return block.AssembleL2(b.Header, nil, extras).Hash()
}
