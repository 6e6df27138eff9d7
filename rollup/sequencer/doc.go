// Package sequencer is the L2 sequencer: it makes the unsafe L2 chain
// and posts it to the L1.
//
// Data flow:
//
//  1. The follower polls the L1 (an L1Source: rollup/l1 over JSON-RPC) for
//     new blocks and their bridge operations.
//  2. The producer (Step, driven by Run) decides each block with the pure
//     NextBlock (origin, time, forced or deposit-only), fills it from the
//     transaction pool through rollup/l2chain (core/execution under the L2
//     rules) and commits it in one synced batch: a transaction is
//     soft-confirmed when its block is on disk.
//  3. The batcher (RunBatcher, over a RollupL1) bonds, reads the safe and
//     finalized heads from the rollup contract, re-sequences blocks whose
//     origin's sequencing window closed unposted, and posts batches
//     (rollup/batch) when they are due.
//  4. RollupAPI serves rollup_syncStatus, rollup_depositStatus (deposits
//     and forced operations: applied, pending, failed with the reason),
//     rollup_outputAtBlock, rollup_batch, rollup_withdrawalStatus and
//     rollup_dispute/rollup_disputes beside the L2's Ethereum RPC
//     (rollup/l2rpc).
//
// A block's withdrawals (the L2 withdrawal queue's, forced ones first)
// are stored with it by rollup/l2chain and ride in its batch; the output
// root commits to them.
//
// Development switches (devnet genesis only) pause the batcher past the
// window, post one wrong output, or censor senders, to show re-sequencing,
// fraud proofs and forced exits.
package sequencer
