// Package verifier is the L2 verifier that never talks to the sequencer
// (the challenger's first role, and how a sequencer with an empty data
// directory rebuilds its chain): it follows only the L1, derives every L2 block from L1 data
// (rollup/derive), executes it with the one state transition (through
// rollup/l2chain, into its own database) and compares every output the
// sequencer posted with its own.
//
// Data flow, per L1 block (Verifier.Step):
//
//  1. Read the L1 block's reference, bridge operations and accepted
//     batches (a Source: rollup/l1data over JSON-RPC).
//  2. Derive: new L2 block inputs, and claims (the posted state root,
//     block hash and withdrawals of each block).
//  3. Execute and commit each new block (SkipInvalid: a batch's invalid
//     transaction is left out, as everywhere).
//  4. Check each claim against the executed block: agreement, or the
//     first disagreement (which fields differ), logged and exported.
//  5. Save derivation's state (synced) after the blocks it covers, so a
//     restart resumes at the next L1 block; blocks committed before a crash
//     are not executed twice.
//
// Proving a disagreement on L1 (the fraud proof) is the challenger's
// separate role.
package verifier
