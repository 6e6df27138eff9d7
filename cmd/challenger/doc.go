// Command challenger runs the bilayer L2 challenger's verifier role: it
// follows only the L1 (never the sequencer), derives every L2 block from
// the batches and bridge operations the L1 holds, executes them into its
// own database, checks every output the sequencer posted against its own,
// and serves the derived chain's read-only Ethereum JSON-RPC with the
// rollup_ namespace. Proving a wrong output on L1 (the fraud proof) is a
// later role.
//
// Data flow: flags → the L1 genesis and its rollup section → an L1 client
// (rollup/l1) → the verifier (rollup/verifier over rollup/l1data and its own
// pebble L2 chain) → the read-only L2 RPC (rollup/l2rpc) with rollup_*; with
// --key, the proving agent (rollup/challenger) sends challenges through an
// L1 sender; with --key and --fallback-proposer, the fallback proposer
// (rollup/fallback) posts the derived deposit-only blocks through the same
// sender once the sequencer timeout has passed. This package only wires:
// the logic is in rollup/.
package main
