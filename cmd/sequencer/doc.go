// Command sequencer runs the bilayer L2 sequencer: it follows the L1,
// produces soft-confirmed L2 blocks from its transaction pool (applying
// each L1 origin's deposits first) and serves the L2's Ethereum JSON-RPC
// with the rollup_ namespace.
//
// Data flow: flags → the L1 genesis and its rollup section → an L1 client
// and sender (rollup/l1) → the L2 chain in pebble (rollup/l2chain), rebuilt
// from the L1 if empty (rollup/verifier) → the producer and the batcher
// (rollup/sequencer) → the L2 RPC (rollup/l2rpc) and metrics. This package
// only wires: the logic is in rollup/.
package main
