// Package l2 holds the L2 integration tests: one test starts a validator
// and the sequencer as real processes on free loopback ports with
// devnet/cluster (Options.Sequencer) and drives both chains over JSON-RPC
// with go-ethereum's ethclient and the rollup_ namespace: transfers,
// deposits through the L1 bridge, the L1 data fee, an idle L2, kill -9 of
// the sequencer under load, and value conservation between the L1 bridge
// and the L2 at every L2 block.
//
// Every L2 block's L1 origin is recovered independently of the sequencer:
// the header's MixDigest must equal keccak(rlp(L2Extras)) built from the
// L1 block (its hash and base fee, read from the L1) and the bridge
// operations the L1 recorded in it.
//
// The tests live in package l2_test; this file only documents them. Run
// them with go test ./tests/l2/... (they skip under -short).
package l2
