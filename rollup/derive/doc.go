// Package derive turns L1 data into the L2 chain's block inputs: the L2
// chain is a function of the L1 chain (DESIGN §6). It is pure: it takes
// L1 blocks (their references, the bridge's operations, the batches the
// rollup contract accepted) and returns what to execute, with no clock,
// network or storage of its own.
//
// Data flow, one L1 block at a time (Deriver.Step):
//
//  1. The block's reference, time and bridge operations are remembered,
//     so later L2 blocks can name it as their origin.
//  2. Each batch the rollup contract accepted in the block, in order: its
//     blocks past the derived head become new L2 blocks (inputs: number,
//     time, origin reference, the origin's operations when the block
//     advances to it, the batch's transactions); blocks at or below the
//     derived head can only be the deposit-only blocks derivation already
//     made for expired origins (the contract demands exactly their form),
//     so they only add their claims. Every block's claim (state root,
//     block hash, withdrawals) is returned for the verifier to compare.
//  3. The sequencing window: for every origin X with X + S ≤ this L1
//     block that no batch has covered, a deposit-only block (no
//     transactions, time max(parent, origin)) advances the origin to X, so
//     deposits and forced operations happen even when the sequencer is
//     gone.
//
// The contract checks every batch with the same rules (rollup/protocol's
// CheckBatch) before accepting it, so a batch derivation sees is valid; a
// contradiction is reported as ErrCritical, never silently skipped.
package derive
