// Package staking is the L1 staking system contract: validators bond stake
// with stake(), leave with unstake() and claim their stake with withdraw()
// once it no longer backs voting power in the active set and the unbonding
// period has passed since it last did; anyone may submit evidence of an
// equivocation within that period, which slashes the offender's bonded and
// unbonding stake (half burned, half to the reporter) and removes it from
// the validator set at once if it is still in it.
//
// The validator set changes only at epoch boundaries: at the end of the
// last block of each epoch the contract's end-of-block hook computes the
// next set from the bonded stakes, letting at most just under a third of
// the voting power change at once (the rest waits for later epochs). The
// node reads the active set from the contract's storage after every block
// (ReadActiveSet), so the set that signs block h+1 is part of the state
// after block h, and headers commit to it.
//
// Storage layout (slots of the contract's account, Solidity-style):
//
//	0  address[] members         every address that ever staked (length, then elements at keccak(0)+i)
//	1  mapping(address => uint256) bonded stake
//	2  mapping(address => uint256) flags: 1 = listed in members, 2 = jailed
//	3  mapping(address => uint256) unbonding amount
//	4  mapping(address => uint256) unbonding release height (raised by each epoch change whose outgoing set the unbonding stake backed)
//	5  active set: length, then (address, power) pairs at keccak(5)+2i, +2i+1
//	6  uint256 epoch
//	7  mapping(bytes32 => bool)    evidence already used
package staking
