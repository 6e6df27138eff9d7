// Package inproc runs a whole rollup in one process, for tests and
// benchmarks that need the real thing without building binaries: a
// single-validator L1 node (the real node, its rollup and bridge
// contracts, over the in-memory network and database) with JSON-RPC on a
// free loopback port; a sequencer with its L2 JSON-RPC on another and a
// batcher started on demand, optionally with a development switch that
// posts one wrong output (sequencer.BadOutputKind); and a challenger — a
// verifier deriving the L2 from the L1 alone and an agent with its own L1
// key that proves the first wrong output. Every component reaches the L1
// over JSON-RPC, as the binaries do, and is wired as cmd/sequencer and
// cmd/challenger wire it; everything lives in memory and stops with
// Close.
//
// Data flow:
//
//	users ──L2 RPC──▶ sequencer ──batches──▶ L1 rollup contract ◀──challenge── agent
//	                      ▲                        │                             ▲
//	                      └──── L1 RPC (blocks, bridge operations) ──▶ verifier ─┘
//
// Accessors read the rollup contract's views (at the head or at an L1
// block) and logs, and the harness notes when it first saw each L1 block
// committed, so that the time between two L1 events can be measured
// (Rollback: from the acceptance of the batch a challenge proved wrong to
// the challenge). MeasureRollback runs that whole scenario once; the
// benchmark of `make bench` (bench/rollupbench) calls it.
//
// For the bridge: Account sends one key's L1 and L2 transactions with
// nonces it tracks (deposits, forced withdrawals, withdrawals, transfers);
// the withdrawal and payout views (InitiatedWithdrawals,
// WithdrawalPaidLogs, WithdrawalStatus, WaitWithdrawalsPaid) follow a
// withdrawal to its payout; CheckConservation checks DESIGN §6's value
// invariant after every L2 block and every L1 block.
//
// The package is above rollup/ and node/ (it imports both), so it lives
// under devnet/ beside the process cluster (devnet/cluster): the layering
// rules forbid rollup/ to depend on node/.
package inproc
