// Package dispute explains fraud-proof disputes: what a challenge claimed,
// which L2 block was the first wrong one, which output fields differ
// between what the sequencer posted and what the rollup contract
// re-executed, the verdict, where the sequencer's bond went, and the L1
// transactions involved. It backs rollup_dispute and rollup_disputes on
// both L2 RPCs (the sequencer's and the challenger's) and `wallet dispute`.
//
// Everything comes from the L1 alone, through the small L1 interface (a
// JSON-RPC client in production, NewL1; a fake in tests):
//
//  1. The dispute record: the rollup contract's views disputeCount() and
//     dispute(i) (contract.UnpackDispute), written in the transaction of a
//     successful challenge and never changed afterwards. By L2 block the
//     records are scanned newest first; by L1 transaction the receipt's
//     Challenged log names the record.
//  2. The challenge transaction: the Challenged log of the record's L1
//     block whose dispute index is the record's.
//  3. The claim's L1 transaction: the batch the record names, as the
//     contract kept it just before the challenge's L1 block (batch(i) at
//     that block's parent: an index is reused once a challenge deleted its
//     batch), then that batch's BatchAccepted log in its accepting L1
//     block; its sender is the sequencer.
//  4. A challenge transaction that reverted has no record: it is replayed
//     with eth_call on the state of its block's parent to recover the
//     revert reason ("output is correct", or why the challenge was
//     invalid). A transaction that is not a call of challenge is an
//     error wrapping ErrNotAChallenge.
//
// Lookups of step 3 are best effort: a Report says in Notes what could
// not be found instead of failing. Quantities in the JSON form are hex,
// like every number of the rollup RPC.
package dispute
