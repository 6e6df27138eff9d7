package staking

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

//go:embed staking.json
var stakingABI string

// Address is the staking contract's fixed address.
var Address = common.HexToAddress("0x0000000000000000000000000000000000001001")

// Gas costs of the methods, on top of the intrinsic gas.
const (
	StakeGas    = 60_000
	UnstakeGas  = 60_000
	WithdrawGas = 40_000
	EvidenceGas = 250_000
	ViewGas     = 5_000
	// EndBlockGasBudget bounds the end-of-block work (an epoch change
	// rewrites the active set).
	EndBlockGasBudget = 5_000_000
)

// Bounds that keep every loop of the contract bounded.
const (
	// MaxMembers is the most addresses that may ever have staked.
	MaxMembers = 1000
	// MaxValidators is the largest active set (the highest stakes win).
	MaxValidators = 100
)

// PowerUnit is the stake worth one unit of voting power (1 ETH).
var PowerUnit = uint256.NewInt(1e18)

// Config holds the genesis settings of the staking contract.
type Config struct {
	// ChainID is the chain whose votes evidence must be signed for.
	ChainID uint64
	// MinStake is the least bonded stake of a validator.
	MinStake *uint256.Int
	// EpochLength is the number of blocks between validator-set changes.
	EpochLength uint64
	// UnbondingPeriod is the number of blocks unstaked funds stay locked.
	UnbondingPeriod uint64
	// SlashPercent is the share of stake an equivocation costs.
	SlashPercent uint64
	// EvidenceMaxAge is how many blocks old an equivocation may be and
	// still be punished (default: the unbonding period).
	EvidenceMaxAge uint64
	// BlockReward is minted at the end of every block and split among the
	// active validators by voting power (nil or zero: none).
	BlockReward *uint256.Int
}

// Storage slots.
var (
	slotMembers   = syscontract.Slot(0)
	slotStake     = syscontract.Slot(1)
	slotFlags     = syscontract.Slot(2)
	slotUnbonding = syscontract.Slot(3)
	slotRelease   = syscontract.Slot(4)
	slotActive    = syscontract.Slot(5)
	slotEpoch     = syscontract.Slot(6)
	slotEvidence  = syscontract.Slot(7)
)

const (
	flagListed = 1
	flagJailed = 2
)

// Contract is the staking system contract.
type Contract struct {
	cfg Config
	abi *abi.ABI
}

// New returns the staking contract for cfg.
func New(cfg Config) (*Contract, error) {
	a, err := syscontract.ParseABI(stakingABI)
	if err != nil {
		return nil, fmt.Errorf("staking: %w", err)
	}
	if cfg.EpochLength == 0 || cfg.MinStake == nil || cfg.SlashPercent > 100 {
		return nil, errors.New("staking: config needs an epoch length, a minimum stake and a slash share of at most 100%")
	}
	if cfg.EvidenceMaxAge == 0 {
		cfg.EvidenceMaxAge = max(cfg.UnbondingPeriod, cfg.EpochLength)
	}
	return &Contract{cfg: cfg, abi: a}, nil
}

// Address implements syscontract.Contract.
func (c *Contract) Address() common.Address { return Address }

// ABI implements syscontract.Contract.
func (c *Contract) ABI() *abi.ABI { return c.abi }

// MaxCallDataSize implements syscontract.Contract.
func (c *Contract) MaxCallDataSize() uint64 { return 0 }

// EndBlockGas implements syscontract.EndBlocker.
func (c *Contract) EndBlockGas() uint64 { return EndBlockGasBudget }

// Methods implements syscontract.Contract.
func (c *Contract) Methods() map[string]syscontract.Method {
	return map[string]syscontract.Method{
		"stake":             {Gas: StakeGas, Handler: c.stake},
		"unstake":           {Gas: UnstakeGas, Handler: c.unstake},
		"withdraw":          {Gas: WithdrawGas, Handler: c.withdraw},
		"submitEvidence":    {Gas: EvidenceGas, Handler: c.submitEvidence},
		"validators":        {Gas: ViewGas, Handler: c.viewValidators},
		"pendingValidators": {Gas: ViewGas, Handler: c.viewPending},
		"stakeOf":           {Gas: ViewGas, Handler: c.viewStake},
		"unbondingOf":       {Gas: ViewGas, Handler: c.viewUnbonding},
		"isJailed":          {Gas: ViewGas, Handler: c.viewJailed},
		"epoch":             {Gas: ViewGas, Handler: c.viewEpoch},
	}
}

func mapSlot(a common.Address, slot common.Hash) common.Hash {
	return syscontract.MappingSlot(syscontract.AddressKey(a), slot)
}

// reader reads the contract's storage: a handler Context or, for the node,
// a StateDB view (see StateReader).
type reader interface {
	GetState(slot common.Hash) common.Hash
}

// writer writes the contract's storage.
type writer interface {
	reader
	SetState(slot, value common.Hash) error
}

func getU(r reader, slot common.Hash) *uint256.Int {
	v := r.GetState(slot)
	return new(uint256.Int).SetBytes32(v[:])
}

func setU(w writer, slot common.Hash, v *uint256.Int) error { return w.SetState(slot, v.Bytes32()) }

// arrayElem returns the slot of element i of the dynamic array at slot.
func arrayElem(slot common.Hash, i uint64) common.Hash {
	base := new(uint256.Int).SetBytes(crypto.Keccak256(slot[:]))
	return base.AddUint64(base, i).Bytes32()
}

func members(r reader) []common.Address {
	n := getU(r, slotMembers).Uint64()
	out := make([]common.Address, 0, n)
	for i := uint64(0); i < n; i++ {
		out = append(out, common.BytesToAddress(r.GetState(arrayElem(slotMembers, i)).Bytes()))
	}
	return out
}

// activeSet reads the active validator set, in address order.
func activeSet(r reader) []block.Validator {
	n := getU(r, slotActive).Uint64()
	out := make([]block.Validator, 0, n)
	for i := uint64(0); i < n; i++ {
		addr := common.BytesToAddress(r.GetState(arrayElem(slotActive, 2*i)).Bytes())
		power := getU(r, arrayElem(slotActive, 2*i+1)).Uint64()
		out = append(out, block.Validator{Address: addr, Power: power})
	}
	return out
}

func writeActiveSet(w writer, set []block.Validator) error {
	slices.SortFunc(set, func(a, b block.Validator) int { return a.Address.Cmp(b.Address) })
	old := getU(w, slotActive).Uint64()
	for i, v := range set {
		if err := w.SetState(arrayElem(slotActive, 2*uint64(i)), common.BytesToHash(v.Address[:])); err != nil {
			return err
		}
		if err := setU(w, arrayElem(slotActive, 2*uint64(i)+1), uint256.NewInt(v.Power)); err != nil {
			return err
		}
	}
	for i := uint64(len(set)); i < old; i++ {
		if err := w.SetState(arrayElem(slotActive, 2*i), common.Hash{}); err != nil {
			return err
		}
		if err := w.SetState(arrayElem(slotActive, 2*i+1), common.Hash{}); err != nil {
			return err
		}
	}
	return setU(w, slotActive, uint256.NewInt(uint64(len(set))))
}

func flags(r reader, a common.Address) uint64 { return getU(r, mapSlot(a, slotFlags)).Uint64() }

func power(stake *uint256.Int) uint64 {
	return new(uint256.Int).Div(stake, PowerUnit).Uint64()
}

// eligible returns the set the stakes ask for: every listed, unjailed
// address with at least the minimum stake, the MaxValidators highest
// stakes, in address order.
func (c *Contract) eligible(r reader) []block.Validator {
	var out []block.Validator
	for _, a := range members(r) {
		stake := getU(r, mapSlot(a, slotStake))
		if flags(r, a)&flagJailed != 0 || stake.Lt(c.cfg.MinStake) {
			continue
		}
		if p := power(stake); p > 0 {
			out = append(out, block.Validator{Address: a, Power: p})
		}
	}
	slices.SortStableFunc(out, func(a, b block.Validator) int {
		if a.Power != b.Power {
			if a.Power > b.Power {
				return -1
			}
			return 1
		}
		return a.Address.Cmp(b.Address)
	})
	if len(out) > MaxValidators {
		out = out[:MaxValidators]
	}
	slices.SortFunc(out, func(a, b block.Validator) int { return a.Address.Cmp(b.Address) })
	return out
}

// nextSet moves from the current set towards the target one, changing
// less than a third of the current total power: changes are applied in
// address order, each as far as the remaining budget allows (a joiner may
// enter with part of its power), and the rest waits for later epochs.
func nextSet(current, target []block.Validator) []block.Validator {
	var total uint64
	cur := map[common.Address]uint64{}
	for _, v := range current {
		cur[v.Address] = v.Power
		total += v.Power
	}
	want := map[common.Address]uint64{}
	for _, v := range target {
		want[v.Address] = v.Power
	}
	addrs := slices.Collect(maps.Keys(cur))
	for a := range want {
		if _, ok := cur[a]; !ok {
			addrs = append(addrs, a)
		}
	}
	slices.SortFunc(addrs, common.Address.Cmp)
	next := maps.Clone(cur)
	budget := uint64(0)
	if total > 0 {
		budget = (total - 1) / 3 // 3 × changed < total
	}
	for _, a := range addrs {
		from, to := cur[a], want[a]
		step := min(max(from, to)-min(from, to), budget)
		if step == 0 {
			continue
		}
		budget -= step
		p := from + step
		if to < from {
			p = from - step
		}
		if p == 0 {
			delete(next, a)
		} else {
			next[a] = p
		}
	}
	out := make([]block.Validator, 0, len(next))
	for a, p := range next {
		out = append(out, block.Validator{Address: a, Power: p})
	}
	slices.SortFunc(out, func(a, b block.Validator) int { return a.Address.Cmp(b.Address) })
	if len(out) == 0 {
		return current
	}
	return out
}

// lockPeriod is how long unbonding stake stays locked after the last
// block it backed voting power in: the unbonding period, and at least as
// long as evidence of that block may be submitted, so the stake is still
// there to slash.
func (c *Contract) lockPeriod() uint64 { return max(c.cfg.UnbondingPeriod, c.cfg.EvidenceMaxAge) }

// backsPower reports whether who's voting power in set is more than its
// bonded stake accounts for: part of its unbonding stake still backs it.
func backsPower(r reader, set []block.Validator, who common.Address) bool {
	bonded := power(getU(r, mapSlot(who, slotStake)))
	for _, v := range set {
		if v.Address == who {
			return v.Power > bonded
		}
	}
	return false
}

// holdBackingStake runs at the epoch change that ends with block n: every
// member of the outgoing set whose unbonding stake backed its power up to
// block n may withdraw it only lockPeriod blocks after n+1, the first
// block signed by the next set. (The next set may still count it, being
// limited to a third of the power per epoch: the next change holds it
// again, and withdraw refuses while the active set counts it.)
func (c *Contract) holdBackingStake(w writer, current []block.Validator, n uint64) error {
	release := uint256.NewInt(n + 1 + c.lockPeriod())
	for _, v := range current {
		if getU(w, mapSlot(v.Address, slotUnbonding)).IsZero() || !backsPower(w, current, v.Address) {
			continue
		}
		slot := mapSlot(v.Address, slotRelease)
		if getU(w, slot).Lt(release) {
			if err := setU(w, slot, release); err != nil {
				return err
			}
		}
	}
	return nil
}

// reward mints the block reward to the active validators in proportion to
// their voting power (the remainder of the division is not minted).
func (c *Contract) reward(ctx *syscontract.Context) error {
	if c.cfg.BlockReward == nil || c.cfg.BlockReward.IsZero() {
		return nil
	}
	set := activeSet(ctx)
	var total uint64
	for _, v := range set {
		total += v.Power
	}
	if total == 0 {
		return nil
	}
	for _, v := range set {
		share := new(uint256.Int).Mul(c.cfg.BlockReward, uint256.NewInt(v.Power))
		share.Div(share, uint256.NewInt(total))
		if err := ctx.Mint(v.Address, share); err != nil {
			return err
		}
	}
	return nil
}

// EndBlock implements syscontract.EndBlocker: it pays the block reward and,
// at the last block of an epoch, moves the active set towards what the
// stakes ask for.
func (c *Contract) EndBlock(ctx *syscontract.Context) error {
	if err := c.reward(ctx); err != nil {
		return err
	}
	n := ctx.Block().Number
	if (n+1)%c.cfg.EpochLength != 0 {
		return nil
	}
	current := activeSet(ctx)
	if err := c.holdBackingStake(ctx, current, n); err != nil {
		return err
	}
	next := nextSet(current, c.eligible(ctx))
	if err := writeActiveSet(ctx, next); err != nil {
		return err
	}
	epoch := getU(ctx, slotEpoch)
	epoch.AddUint64(epoch, 1)
	if err := setU(ctx, slotEpoch, epoch); err != nil {
		return err
	}
	var total uint64
	for _, v := range next {
		total += v.Power
	}
	return ctx.Emit("EpochChanged", epoch.ToBig(), big.NewInt(int64(len(next))), new(big.Int).SetUint64(total))
}

// ParseABI returns the staking contract's ABI, for clients (the wallet)
// that encode calls to it.
func ParseABI() (*abi.ABI, error) { return syscontract.ParseABI(stakingABI) }
