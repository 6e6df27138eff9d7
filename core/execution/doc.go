// Package execution is bilayer's state transition: the one function that
// turns a parent state and a block's transactions into a post-state,
// receipts and roots. L1 validators, the L2 sequencer, the challenger and
// the L1 fraud-proof verifier all run exactly this code (ApplyBlock), so
// they cannot disagree about what a block does.
//
// There is no EVM. A transaction is either a value transfer to a plain
// account, or a call to a system contract (package syscontract). Contract
// creation and calldata to a plain account are invalid.
//
// Data flow of one block:
//
//  1. NewBlockExecutor takes the StateDB at the parent root and the header
//     (number, time, coinbase, gas limit, base fee), optionally starting
//     witness collection.
//  2. ApplyTx, per transaction: CheckTx (no state: type, chain id, size,
//     recipient, fees, intrinsic gas, signature) and CheckState (nonce,
//     balance for value + gas × max fee). An invalid transaction returns an
//     *InvalidTxError and changes nothing. A valid one: nonce + 1, buy
//     gas × effective price, move the value or run the system call (a failed
//     call reverts all but nonce and fee), refund unused gas, pay the tip
//     (effective price − base fee) × gas used to header.Coinbase. The base
//     fee part is burned: no one is credited. A receipt is produced.
//  3. Finish runs the system contracts' end-of-block hooks (bounded gas, not
//     counted in the block's gas used), computes the state root
//     (IntermediateRoot), receipts root, transactions root and logs bloom,
//     and returns the witness if collected.
//
// ApplyBlock wraps the three steps with a Policy: RejectInvalid (L1: an
// invalid transaction makes the block invalid) or SkipInvalid (L2
// derivation: it is left out). ExecuteStateless runs ApplyBlock on a
// StateDB built only from a Witness; a missing node surfaces as
// ErrStateUnavailable, never as a different root — every state read error
// recorded by the StateDB is checked after each transaction and at Finish.
//
// Gas: intrinsic = 21000 + 16 per calldata byte, zero or not (a transfer
// uses exactly 21000); a system call adds the method's fixed gas
// and whatever the method meters. Transactions are at most MaxTxSize
// (128 KiB) unless they call a system contract that declares a larger
// calldata limit (the rollup contract: 4 MiB); such calls pay calldata gas
// like any other. Base fees follow EIP-1559 (NextBaseFee).
package execution
