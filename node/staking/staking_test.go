package staking

import (
	"crypto/ecdsa"
	"errors"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

type env struct {
	t     *testing.T
	gen   *genesis.Genesis
	keys  []*ecdsa.PrivateKey
	reg   *syscontract.Registry
	c     *Contract
	st    *state.StateDB
	block uint64
}

func eth(n int64) *uint256.Int { return new(uint256.Int).Mul(uint256.NewInt(uint64(n)), PowerUnit) }

func newEnv(t *testing.T, stakes ...int64) *env {
	t.Helper()
	e := &env{t: t, gen: &genesis.Genesis{ChainID: 1337, GasLimit: 30_000_000, Alloc: map[common.Address]genesis.Account{}}}
	for i, s := range stakes {
		k, _ := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(int64(i+1)).Bytes(), 32))
		e.keys = append(e.keys, k)
		e.gen.Validators = append(e.gen.Validators, genesis.Validator{Address: crypto.PubkeyToAddress(k.PublicKey), Stake: genesis.Ether(s)})
	}
	e.gen.FillDefaults()
	if err := e.gen.Validate(); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.c, err = New(ConfigFromGenesis(e.gen)); err != nil {
		t.Fatal(err)
	}
	if e.reg, err = syscontract.NewRegistry(e.c); err != nil {
		t.Fatal(err)
	}
	acc, err := GenesisAccount(e.gen)
	if err != nil {
		t.Fatal(err)
	}
	db := statedb.New(rawdb.NewMemoryDatabase())
	root, err := db.ApplyAlloc(map[common.Address]types.Account{Address: acc})
	if err != nil {
		t.Fatal(err)
	}
	if e.st, err = db.StateAt(root); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) addr(i int) common.Address { return crypto.PubkeyToAddress(e.keys[i].PublicKey) }

func (e *env) info() syscontract.BlockInfo {
	return syscontract.BlockInfo{ChainID: big.NewInt(1337), Number: e.block, GasLimit: 30_000_000, BaseFee: big.NewInt(1)}
}

// call runs a method as a transaction would.
func (e *env) call(from common.Address, value *uint256.Int, method string, args ...any) ([]byte, error) {
	e.t.Helper()
	input, err := e.c.ABI().Pack(method, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	if value != nil {
		e.st.AddBalance(from, value, tracing.BalanceChangeUnspecified) // the sender's funds for the call value
	}
	ret, _, err := e.reg.Run(e.st, e.info(), from, Address, value, input, 1_000_000)
	return ret, err
}

// endBlocks runs the end-of-block hook for blocks up to and including n.
func (e *env) endBlocks(to uint64) {
	for ; e.block <= to; e.block++ {
		for _, o := range e.reg.EndBlock(e.st, e.info()) {
			if o.Err != nil {
				e.t.Fatalf("end block %d: %v", e.block, o.Err)
			}
		}
	}
}

func powers(set []block.Validator) map[common.Address]uint64 {
	m := map[common.Address]uint64{}
	for _, v := range set {
		m[v.Address] = v.Power
	}
	return m
}

func TestGenesisSetAndABIFile(t *testing.T) {
	e := newEnv(t, 100, 200, 300)
	set := ReadActiveSet(e.st)
	if len(set) != 3 || powers(set)[e.addr(1)] != 200 {
		t.Fatalf("genesis active set %+v", set)
	}
	if block.ValidatorSetHash(set) != block.ValidatorSetHash(e.gen.ValidatorSet()) {
		t.Fatal("the contract's genesis set differs from the genesis validator set")
	}
	if TotalStake(e.st).Cmp(eth(600).ToBig()) != 0 {
		t.Fatalf("contract holds %s", TotalStake(e.st))
	}
	shipped, err := os.ReadFile(filepath.Join("..", "..", "abi", "staking.json"))
	if err != nil || string(shipped) != stakingABI {
		t.Fatalf("abi/staking.json differs from the embedded ABI: %v", err)
	}
}

func TestStakeJoinsAtTheNextEpoch(t *testing.T) {
	e := newEnv(t, 100, 100, 100, 100)
	newcomer := common.HexToAddress("0xabc")
	if _, err := e.call(newcomer, eth(99), "stake"); err == nil || !strings.Contains(err.Error(), "below the minimum") {
		t.Fatalf("stake below the minimum: %v", err)
	}
	if _, err := e.call(newcomer, eth(100), "stake"); err != nil {
		t.Fatal(err)
	}
	e.endBlocks(e.gen.Staking.EpochLength - 2)
	if _, ok := powers(ReadActiveSet(e.st))[newcomer]; ok {
		t.Fatal("joined before the epoch ended")
	}
	e.endBlocks(e.gen.Staking.EpochLength - 1)
	if powers(ReadActiveSet(e.st))[newcomer] != 100 {
		t.Fatalf("not in the set after the epoch: %+v", ReadActiveSet(e.st))
	}
	ret, err := e.call(common.Address{}, nil, "epoch")
	if err != nil || new(big.Int).SetBytes(ret).Int64() != 1 {
		t.Fatalf("epoch %x, %v", ret, err)
	}
}

func TestChangeStaysBelowAThirdPerEpoch(t *testing.T) {
	e := newEnv(t, 100, 100, 100) // total 300: less than 100 may change per epoch
	a, b := common.HexToAddress("0xa1"), common.HexToAddress("0xb2")
	for _, who := range []common.Address{a, b} {
		if _, err := e.call(who, eth(60), "stake"); err == nil {
			t.Fatal("stake below minimum accepted")
		}
		if _, err := e.call(who, eth(100), "stake"); err != nil {
			t.Fatal(err)
		}
	}
	L := e.gen.Staking.EpochLength
	e.endBlocks(L - 1)
	// Less than a third of 300 may change: 0xa1 enters with 99, 0xb2 waits.
	p := powers(ReadActiveSet(e.st))
	if len(p) != 4 || p[a] != 99 {
		t.Fatalf("after one epoch: %+v", ReadActiveSet(e.st))
	}
	e.endBlocks(2*L - 1) // total 399: budget 132 = 1 for a, 100 for b
	p = powers(ReadActiveSet(e.st))
	if len(p) != 5 || p[a] != 100 || p[b] != 100 {
		t.Fatalf("after two epochs: %+v", ReadActiveSet(e.st))
	}
}

func TestUnstakeWithdrawExactlyOnceAfterUnbonding(t *testing.T) {
	e := newEnv(t, 100, 100, 100, 100, 150)
	v := e.addr(4)
	if _, err := e.call(v, nil, "unstake", eth(60).ToBig()); err == nil {
		t.Fatal("unstake leaving 90 (below the minimum) accepted")
	}
	if _, err := e.call(v, nil, "unstake", eth(150).ToBig()); err != nil {
		t.Fatal(err)
	}
	L := e.gen.Staking.EpochLength
	e.endBlocks(L - 1)
	if _, ok := powers(ReadActiveSet(e.st))[v]; ok {
		t.Fatal("still a validator after unstaking everything and an epoch")
	}
	if _, err := e.call(v, nil, "withdraw"); err == nil || !strings.Contains(err.Error(), "unbonds at block") {
		t.Fatalf("early withdraw: %v", err)
	}
	// The stake backed the validator's power until the epoch change at
	// block L-1: it unbonds the unbonding period after block L.
	e.block = L + e.gen.Staking.UnbondingPeriod - 1
	if _, err := e.call(v, nil, "withdraw"); err == nil || !strings.Contains(err.Error(), "unbonds at block") {
		t.Fatalf("withdraw before the unbonding period passed since leaving: %v", err)
	}
	e.block++
	before := e.st.GetBalance(v).Clone()
	if _, err := e.call(v, nil, "withdraw"); err != nil {
		t.Fatal(err)
	}
	if got := new(uint256.Int).Sub(e.st.GetBalance(v), before); !got.Eq(eth(150)) {
		t.Fatalf("withdrew %s", got)
	}
	if _, err := e.call(v, nil, "withdraw"); err == nil {
		t.Fatal("second withdraw paid")
	}
}

func (e *env) vote(i int, h uint64, r int32, id byte) []byte {
	e.t.Helper()
	v := consensus.Vote{Type: consensus.Prevote, Height: consensus.Height(h), Round: consensus.Round(r),
		BlockID: consensus.BlockID{id}, Validator: e.addr(i)}
	d := consensus.VoteSignBytes("1337", v)
	sig, err := crypto.Sign(d[:], e.keys[i])
	if err != nil {
		e.t.Fatal(err)
	}
	v.Signature = sig
	enc, err := wire.EncodeVote(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return enc
}

func TestEvidenceSlashesAndRemovesAtOnce(t *testing.T) {
	e := newEnv(t, 100, 100, 100, 100)
	e.block = 10
	reporter := common.HexToAddress("0xfeed")
	offender := e.addr(2)
	supply := TotalStake(e.st)
	if _, err := e.call(reporter, nil, "submitEvidence", e.vote(2, 9, 0, 1), e.vote(2, 9, 0, 2)); err != nil {
		t.Fatal(err)
	}
	if _, ok := powers(ReadActiveSet(e.st))[offender]; ok {
		t.Fatal("offender still in the set")
	}
	slashed := eth(10) // 10 % of 100
	if got := e.st.GetBalance(reporter); !got.Eq(new(uint256.Int).Div(slashed, uint256.NewInt(2))) {
		t.Fatalf("reporter got %s", got)
	}
	if want := new(big.Int).Sub(supply, slashed.ToBig()); TotalStake(e.st).Cmp(want) != 0 {
		t.Fatalf("contract holds %s, want %s", TotalStake(e.st), want)
	}
	ret, _ := e.call(common.Address{}, nil, "isJailed", offender)
	if new(big.Int).SetBytes(ret).Sign() == 0 {
		t.Fatal("offender not jailed")
	}
	if _, err := e.call(offender, eth(100), "stake"); err == nil {
		t.Fatal("a jailed validator staked again")
	}
}

func TestEvidenceRejections(t *testing.T) {
	e := newEnv(t, 100, 100, 100, 100)
	e.block = 50
	forged := e.vote(1, 49, 0, 2)
	forged[len(forged)-5] ^= 1
	other, _ := crypto.GenerateKey()
	outsider := &env{t: t, keys: []*ecdsa.PrivateKey{other}}
	cases := []struct {
		name string
		a, b []byte
		want string
	}{
		{"malformed", []byte{1, 2, 3}, e.vote(1, 49, 0, 1), "malformed"},
		{"same block", e.vote(1, 49, 0, 1), e.vote(1, 49, 0, 1), "not two different votes"},
		{"different rounds", e.vote(1, 49, 0, 1), e.vote(1, 49, 1, 2), "not two different votes"},
		{"different validators", e.vote(1, 49, 0, 1), e.vote(2, 49, 0, 2), "not two different votes"},
		{"forged signature", e.vote(1, 49, 0, 1), forged, "not signed"},
		{"expired", e.vote(1, 1, 0, 1), e.vote(1, 1, 0, 2), "outside the window"},
		{"from the future", e.vote(1, 60, 0, 1), e.vote(1, 60, 0, 2), "outside the window"},
		{"not a validator", outsider.vote(0, 49, 0, 1), outsider.vote(0, 49, 0, 2), "not a validator"},
	}
	e.gen.Staking.UnbondingPeriod = 40
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.call(common.HexToAddress("0xfeed"), nil, "submitEvidence", tc.a, tc.b)
			if !errors.Is(err, syscontract.ErrExecutionReverted) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a revert containing %q", err, tc.want)
			}
		})
	}
	if _, err := e.call(common.HexToAddress("0xfeed"), nil, "submitEvidence", e.vote(1, 49, 0, 1), e.vote(1, 49, 0, 2)); err != nil {
		t.Fatal(err)
	}
	_, err := e.call(common.HexToAddress("0xfeed"), nil, "submitEvidence", e.vote(1, 49, 0, 1), e.vote(1, 49, 0, 2))
	if err == nil || !strings.Contains(err.Error(), "already slashed") {
		t.Fatalf("duplicate evidence: %v", err)
	}
	if len(ReadActiveSet(e.st)) != 3 {
		t.Fatal("a rejected evidence changed the set")
	}
}

// TestNextSetKeepsChangeBelowAThird checks the epoch change limit on random
// sets against a direct count of the power that changed.
func TestNextSetKeepsChangeBelowAThird(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		randomSet := func() []block.Validator {
			var out []block.Validator
			for a := range 8 {
				if rng.IntN(2) == 0 {
					out = append(out, block.Validator{Address: common.Address{byte(a + 1)}, Power: uint64(1 + rng.IntN(50))})
				}
			}
			return out
		}
		cur, target := randomSet(), randomSet()
		if len(cur) == 0 {
			continue
		}
		next := nextSet(cur, target)
		pc, pn := powers(cur), powers(next)
		var total, changed uint64
		for _, p := range pc {
			total += p
		}
		for a := range 8 {
			addr := common.Address{byte(a + 1)}
			changed += max(pc[addr], pn[addr]) - min(pc[addr], pn[addr])
		}
		if 3*changed >= total && changed > 0 {
			t.Fatalf("changed %d of %d: cur %+v target %+v next %+v", changed, total, cur, target, next)
		}
		if len(next) == 0 {
			t.Fatal("empty next set")
		}
		pt := powers(target)
		for a := range 8 {
			addr := common.Address{byte(a + 1)}
			lo, hi := min(pc[addr], pt[addr]), max(pc[addr], pt[addr])
			if pn[addr] < lo || pn[addr] > hi {
				t.Fatalf("power of %s moved away from its target: %d -> %d (target %d)", addr, pc[addr], pn[addr], pt[addr])
			}
		}
	}
}

func TestBlockRewardSplitByPower(t *testing.T) {
	e := newEnv(t, 100, 300)
	e.c.cfg.BlockReward = eth(4)
	e.block = 1
	before0, before1 := e.st.GetBalance(e.addr(0)).Clone(), e.st.GetBalance(e.addr(1)).Clone()
	e.endBlocks(1)
	got0 := new(uint256.Int).Sub(e.st.GetBalance(e.addr(0)), before0)
	got1 := new(uint256.Int).Sub(e.st.GetBalance(e.addr(1)), before1)
	if !got0.Eq(eth(1)) || !got1.Eq(eth(3)) {
		t.Fatalf("rewards %s and %s, want 1 and 3 ETH", got0, got1)
	}
}

// TestEvidenceSlashesAValidatorThatLeft: a validator that equivocates just
// before it leaves the active set is slashed afterwards from its unbonding
// stake (evidence used to be accepted only against the current set).
func TestEvidenceSlashesAValidatorThatLeft(t *testing.T) {
	e := newEnv(t, 100, 100, 100, 100, 150)
	v := e.addr(4)
	if _, err := e.call(v, nil, "unstake", eth(150).ToBig()); err != nil {
		t.Fatal(err)
	}
	L := e.gen.Staking.EpochLength
	e.endBlocks(L - 1)
	if _, ok := powers(ReadActiveSet(e.st))[v]; ok {
		t.Fatal("setup: still in the set")
	}
	e.block = L + 5
	reporter := common.HexToAddress("0xfeed")
	if _, err := e.call(reporter, nil, "submitEvidence", e.vote(4, L-2, 0, 1), e.vote(4, L-2, 0, 2)); err != nil {
		t.Fatalf("evidence against a validator that left with its stake unbonding: %v", err)
	}
	ret, err := e.call(common.Address{}, nil, "unbondingOf", v)
	if err != nil {
		t.Fatal(err)
	}
	if got := new(big.Int).SetBytes(ret[:32]); got.Cmp(eth(135).ToBig()) != 0 {
		t.Fatalf("unbonding stake after the slash %s, want 135 ETH (10 %% of 150 slashed)", got)
	}
	if got := e.st.GetBalance(reporter); !got.Eq(eth(15).Div(eth(15), uint256.NewInt(2))) {
		t.Fatalf("reporter got %s", got)
	}
	if len(ReadActiveSet(e.st)) != 4 {
		t.Fatal("the set changed")
	}
}

// TestMajorityStakeStaysUntilItStopsVoting: a validator with most of the
// power unstakes everything. Epoch changes move less than a third of the
// power, so it keeps voting for several epochs; it may withdraw only once
// it has left the set and the unbonding period has passed since, and until
// then evidence of its last votes still slashes it. (withdraw used to pay
// out 40 blocks after unstake, while it still had power and nothing left
// to slash.)
func TestMajorityStakeStaysUntilItStopsVoting(t *testing.T) {
	e := newEnv(t, 100, 100, 1000)
	whale := e.addr(2)
	if _, err := e.call(whale, nil, "unstake", eth(1000).ToBig()); err != nil {
		t.Fatal(err)
	}
	L, U := e.gen.Staking.EpochLength, e.gen.Staking.UnbondingPeriod
	left := uint64(0) // the first block signed without it
	for epoch := uint64(1); epoch <= 10 && left == 0; epoch++ {
		e.endBlocks(epoch*L - 1)
		if _, ok := powers(ReadActiveSet(e.st))[whale]; !ok {
			left = epoch * L
			break
		}
		// Still voting with its unbonding stake: it may not withdraw.
		e.block = max(e.block, U)
		if _, err := e.call(whale, nil, "withdraw"); err == nil {
			t.Fatalf("withdrew at block %d while still holding power %d", e.block, powers(ReadActiveSet(e.st))[whale])
		}
		e.block = epoch * L
	}
	if left <= L+U {
		t.Fatalf("setup: left the set at %d, want after %d (several epochs)", left, L+U)
	}
	e.block = left + U - 1
	if _, err := e.call(whale, nil, "withdraw"); err == nil || !strings.Contains(err.Error(), "unbonds at block") {
		t.Fatalf("withdraw before the unbonding period passed since it left: %v", err)
	}
	// Its last votes are still punishable, from the stake that is still there.
	if _, err := e.call(common.HexToAddress("0xfeed"), nil, "submitEvidence", e.vote(2, left-1, 0, 1), e.vote(2, left-1, 0, 2)); err != nil {
		t.Fatalf("evidence of its last signed block: %v", err)
	}
	e.block = left + U
	ret, err := e.call(whale, nil, "withdraw")
	if err != nil {
		t.Fatalf("withdraw after the unbonding period: %v", err)
	}
	if got := new(big.Int).SetBytes(ret); got.Cmp(eth(900).ToBig()) != 0 {
		t.Fatalf("withdrew %s, want 900 ETH (slashed 10 %%)", got)
	}
}
