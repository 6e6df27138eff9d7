// Package l2 holds the L2 integration tests: one test starts a validator,
// a full node, the sequencer (following the validator) and the challenger
// (following the full node, never the sequencer) as real processes on free
// loopback ports with devnet/cluster (Options.Sequencer, Options.Challenger)
// and drives the chains over JSON-RPC with go-ethereum's ethclient and the
// rollup_ namespace: transfers, deposits through the L1 bridge, the L1 data
// fee, an idle L2, kill -9 of the sequencer under load, value conservation
// between the L1 bridge and the L2 at every L2 block, the challenger
// deriving the same chain from the L1 alone and agreeing with every posted
// output, the safe and finalized heads against the rollup contract and
// its challenge window, a sequencer rebuilt from the L1 after its database
// is wiped, and a batcher paused past the sequencing window (deposit-only
// blocks derived, the sequencer re-sequencing, agreement again).
//
// Every L2 block's L1 origin is recovered independently of the sequencer:
// the header's MixDigest must equal keccak(rlp(L2Extras)) built from the
// L1 block (its hash and base fee, read from the L1) and the bridge
// operations the L1 recorded in it.
//
// The tests live in package l2_test; this file only documents them. Run
// them with go test ./tests/l2/... (they skip under -short).
package l2
