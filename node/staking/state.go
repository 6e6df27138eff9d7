package staking

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// ConfigFromGenesis returns the contract settings of a genesis.
func ConfigFromGenesis(g *genesis.Genesis) Config {
	minStake, _ := uint256.FromBig(g.Staking.MinStake.Big())
	cfg := Config{ChainID: g.ChainID, MinStake: minStake, EpochLength: g.Staking.EpochLength,
		UnbondingPeriod: g.Staking.UnbondingPeriod, SlashPercent: g.Staking.SlashPercent}
	if g.Staking.BlockReward != nil {
		cfg.BlockReward, _ = uint256.FromBig(g.Staking.BlockReward.Big())
	}
	return cfg
}

// stateReader reads the contract's storage from a StateDB.
type stateReader struct{ st *state.StateDB }

func (r stateReader) GetState(slot common.Hash) common.Hash { return r.st.GetState(Address, slot) }

// ReadActiveSet returns the active validator set in the state st: the set
// that signs the block after the one whose post-state st is.
func ReadActiveSet(st *state.StateDB) []block.Validator { return activeSet(stateReader{st}) }

// mapWriter collects storage for the genesis account.
type mapWriter map[common.Hash]common.Hash

func (m mapWriter) GetState(slot common.Hash) common.Hash { return m[slot] }
func (m mapWriter) SetState(slot, value common.Hash) error {
	if value == (common.Hash{}) {
		delete(m, slot)
	} else {
		m[slot] = value
	}
	return nil
}

// GenesisAccount returns the staking contract's genesis account: the
// genesis validators' stakes (held as its balance), its registry and the
// first active set.
func GenesisAccount(g *genesis.Genesis) (types.Account, error) {
	storage := mapWriter{}
	total := new(uint256.Int)
	var set []block.Validator
	vals := slices.Clone(g.Validators)
	slices.SortFunc(vals, func(a, b genesis.Validator) int { return a.Address.Cmp(b.Address) })
	for i, v := range vals {
		stake, overflow := uint256.FromBig(v.Stake.Big())
		if overflow {
			return types.Account{}, fmt.Errorf("staking genesis: stake of %s overflows", v.Address)
		}
		total.Add(total, stake)
		storage.SetState(arrayElem(slotMembers, uint64(i)), common.BytesToHash(v.Address[:]))
		setU(storage, mapSlot(v.Address, slotStake), stake)
		setU(storage, mapSlot(v.Address, slotFlags), uint256.NewInt(flagListed))
		set = append(set, block.Validator{Address: v.Address, Power: power(stake)})
	}
	setU(storage, slotMembers, uint256.NewInt(uint64(len(vals))))
	if err := writeActiveSet(storage, set); err != nil {
		return types.Account{}, err
	}
	return types.Account{Nonce: 1, Code: syscontract.MarkerCode(), Balance: total.ToBig(), Storage: storage}, nil
}

// TotalStake returns the staking contract's balance: all bonded and
// unbonding stake.
func TotalStake(st *state.StateDB) *big.Int { return st.GetBalance(Address).ToBig() }

// PendingSet returns the set the next epoch change would produce from the
// stakes in st.
func (c *Contract) PendingSet(st *state.StateDB) []block.Validator {
	r := stateReader{st}
	return nextSet(activeSet(r), c.eligible(r))
}

// IsJailed reports whether addr was slashed for equivocation in st.
func IsJailed(st *state.StateDB, addr common.Address) bool {
	return flags(stateReader{st}, addr)&flagJailed != 0
}

// StakeOf returns the bonded stake of addr in st.
func StakeOf(st *state.StateDB, addr common.Address) *big.Int {
	return getU(stateReader{st}, mapSlot(addr, slotStake)).ToBig()
}

// EvidenceInput returns the calldata of submitEvidence(voteA, voteB).
func (c *Contract) EvidenceInput(voteA, voteB []byte) ([]byte, error) {
	return c.abi.Pack("submitEvidence", voteA, voteB)
}
