package contract

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Readers of the dispute records in a state.

// ReadDisputeCount returns the number of successful challenges.
func ReadDisputeCount(st StateReader) uint64 { return getU64(stateStore{st}, slotDisputeCount) }

// ReadDispute returns the record of successful challenge i (ErrNoDispute
// if there is none).
func ReadDispute(st StateReader, i uint64) (Dispute, error) { return readDispute(stateStore{st}, i) }

// PackChallenge returns the calldata of challenge(l2Block, proof), proof
// being an encoded protocol.FraudProof.
func PackChallenge(l2Block block.L2Number, proof []byte) []byte {
	out := make([]byte, 0, 4+96+(len(proof)+31)/32*32)
	out = append(out, selector("challenge")...)
	n, offset, length := u64Word(uint64(l2Block)), u64Word(64), u64Word(uint64(len(proof)))
	out = append(out, n[:]...)
	out = append(out, offset[:]...)
	out = append(out, length[:]...)
	out = append(out, proof...)
	return append(out, make([]byte, (32-len(proof)%32)%32)...)
}

// UnpackChallengeInput returns the L2 block and proof of challenge
// calldata.
func UnpackChallengeInput(calldata []byte) (block.L2Number, []byte, error) {
	m := parsedABI.Methods["challenge"]
	if len(calldata) < 4 || string(calldata[:4]) != string(m.ID) {
		return 0, nil, fmt.Errorf("%w: not a challenge call", ErrBadResponse)
	}
	if len(calldata) > MaxCallDataSize {
		return 0, nil, fmt.Errorf("%w: challenge calldata of %d bytes, at most %d", ErrBadResponse, len(calldata), MaxCallDataSize)
	}
	args, err := m.Inputs.Unpack(calldata[4:])
	if err != nil {
		return 0, nil, fmt.Errorf("%w: challenge arguments: %w", ErrBadResponse, err)
	}
	n, err1 := as[uint64]("challenge", args[0])
	proof, err2 := as[[]byte]("challenge", args[1])
	if err := errors.Join(err1, err2); err != nil {
		return 0, nil, err
	}
	return block.L2Number(n), proof, nil
}

// UnpackChallenge decodes the result of challenge: the dispute's index.
func UnpackChallenge(ret []byte) (uint64, error) { return unpackUint64("challenge", ret) }

// PackDisputeCount returns the calldata of disputeCount().
func PackDisputeCount() []byte { return selector("disputeCount") }

// UnpackDisputeCount decodes the result of disputeCount().
func UnpackDisputeCount(ret []byte) (uint64, error) { return unpackUint64("disputeCount", ret) }

// PackDispute returns the calldata of dispute(index).
func PackDispute(index uint64) []byte { return withWord("dispute", u64Word(index)) }

// UnpackDispute decodes the result of dispute(index).
func UnpackDispute(index uint64, ret []byte) (Dispute, error) {
	out, err := unpack("dispute", ret)
	if err != nil {
		return Dispute{}, err
	}
	var errs []error
	u64 := func(i int) uint64 {
		v, err := as[uint64]("dispute", out[i])
		errs = append(errs, err)
		return v
	}
	h := func(i int) common.Hash {
		v, err := as[[32]byte]("dispute", out[i])
		errs = append(errs, err)
		return v
	}
	amount := func(i int) *big.Int {
		v, err := as[*big.Int]("dispute", out[i])
		errs = append(errs, err)
		return v
	}
	who, err := as[common.Address]("dispute", out[2])
	errs = append(errs, err)
	poster, err := as[common.Address]("dispute", out[14])
	errs = append(errs, err)
	d := Dispute{
		Index: index, L2Block: block.L2Number(u64(0)), BatchIndex: u64(1), Challenger: who, L1Block: block.L1Number(u64(3)),
		Posted:   Output{Root: h(4), StateRoot: h(5), WithdrawalsRoot: h(6), BlockHash: h(7)},
		Computed: Output{Root: h(8), StateRoot: h(9), WithdrawalsRoot: h(10), BlockHash: h(11)},
		Reward:   amount(12), Burned: amount(13), Poster: poster,
	}
	if err := errors.Join(errs...); err != nil {
		return Dispute{}, err
	}
	return d, nil
}

// Challenged is a decoded Challenged log: a successful challenge.
type Challenged struct {
	// L2Block is the block proven wrong: the outputs from it on were
	// deleted, so the L2 continues from L2Block−1.
	L2Block    block.L2Number
	Challenger common.Address
	BatchIndex uint64
	// Dispute is the index of the dispute record (dispute(index)).
	Dispute        uint64
	PostedOutput   common.Hash
	ComputedOutput common.Hash
	Reward, Burned *big.Int
	// Poster posted the disputed batch; its bond was slashed (Reward and
	// Burned).
	Poster common.Address
	// L1Block and TxIndex locate the log (the challenge's transaction).
	L1Block block.L1Number
	TxIndex uint
}

// ChallengedTopic is the topic of Challenged logs, for filters.
func ChallengedTopic() common.Hash { return parsedABI.Events["Challenged"].ID }

// ParseChallenged decodes a Challenged log of the contract.
func ParseChallenged(log *types.Log) (Challenged, error) {
	ev := parsedABI.Events["Challenged"]
	if log == nil || log.Address != Address || len(log.Topics) != 3 || log.Topics[0] != ev.ID {
		return Challenged{}, fmt.Errorf("%w: log is not a rollup Challenged", ErrBadResponse)
	}
	n, who := log.Topics[1], log.Topics[2]
	if common.BytesToHash(n[:24]) != (common.Hash{}) || common.BytesToHash(who[:12]) != (common.Hash{}) {
		return Challenged{}, fmt.Errorf("%w: Challenged topics %s, %s are not a uint64 and an address", ErrBadResponse, n, who)
	}
	data, err := ev.Inputs.NonIndexed().Unpack(log.Data)
	if err != nil {
		return Challenged{}, fmt.Errorf("%w: Challenged data: %w", ErrBadResponse, err)
	}
	bi, err1 := as[uint64]("Challenged", data[0])
	di, err2 := as[uint64]("Challenged", data[1])
	posted, err3 := as[[32]byte]("Challenged", data[2])
	computed, err4 := as[[32]byte]("Challenged", data[3])
	reward, err5 := as[*big.Int]("Challenged", data[4])
	burned, err6 := as[*big.Int]("Challenged", data[5])
	poster, err7 := as[common.Address]("Challenged", data[6])
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		return Challenged{}, err
	}
	l2 := unpackU64(n, 0)
	if l2 == 0 {
		return Challenged{}, fmt.Errorf("%w: Challenged names L2 block 0", ErrBadResponse)
	}
	return Challenged{L2Block: block.L2Number(l2), Challenger: common.BytesToAddress(who[12:]), BatchIndex: bi, Dispute: di,
		PostedOutput: posted, ComputedOutput: computed, Reward: reward, Burned: burned, Poster: poster,
		L1Block: block.L1Number(log.BlockNumber), TxIndex: log.TxIndex}, nil
}
