// Command bench is `make bench`: for the L1 it measures the state
// transition's cost on one core, starts a real devnet and finds its
// finalized throughput with the load generator; for the L2 it starts a
// one-validator L1 and a sequencer and finds the sequencer's soft-confirmed
// throughput and its latency at half of it. It prints a markdown table per
// part and writes bench/results/latest.json.
//
// Data flow: flags → l1bench.Run (a devnet, the load generator, a Go
// benchmark for the ceiling), l2bench.Run (a validator and the sequencer
// as processes) and rollupbench.Run (Go benchmarks of the batch codec,
// derivation and the fraud-proof verifier, and three in-process runs of a
// wrong output from its batch's acceptance to the rollback, devnet/inproc)
// → markdown tables on stdout and
// one merged JSON file (bench/results/latest.json).
package main
