// Package fallback is the fallback proposer: when the sequencer is gone,
// it posts the L2 blocks derivation made without it, so that deposits,
// forced transfers and forced withdrawals still become safe, final and
// (withdrawals) paid on the L1 (DESIGN §8, "When the sequencer is gone").
//
// Derivation (rollup/derive) makes a deposit-only block for every L1
// origin whose sequencing window S closed with no batch covering it: no
// transactions, the origin's deposits and forced operations, time
// max(parent time, origin time). The rollup contract lets any bonded
// account, not only the sequencer, post batches once the sequencer timeout
// (rollup.sequencerTimeout L1 blocks, above S) has passed since the last
// accepted batch or successful challenge (contract's fallbackFrom()), and
// protocol.CheckBatch accepts nothing but those deposit-only blocks for
// expired origins. So a proposer that posts what its own derivation made
// can neither be refused nor be proven wrong.
//
// As rollup/challenger, it is split in two: Decide is pure (from what the
// L1 and the own derived chain say, wait, bond or post which blocks), and
// Agent observes and acts: it reads the derived chain of the challenger's
// verifier (never a block it has not derived, and only the run of
// deposit-only blocks right after the contract's last accepted one,
// linked by their parent hashes to it), bonds the sequencer bond from its
// own L1 balance when it first needs to, and posts the blocks with their
// withdrawals and outputs as its verifier computed them, in one batch
// within contract.BatchLimits and the gas bound (each accepted batch
// restarts the timeout, so one batch is posted per timeout). cmd/challenger
// runs it with --fallback-proposer.
//
// The sequencer, when it returns, follows the chain the L1 now holds: the
// blocks posted here are exactly the deposit-only blocks its own
// re-sequencing makes for expired origins.
package fallback
