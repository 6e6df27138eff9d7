// Command bench is `make bench`: it measures both layers in one run and
// ends with one table for both ("bilayer — both layers": every figure of
// the benchmark issue, its target or goal, met or not). The devnet part
// starts the whole devnet (`devnet up`: 4 validators, a sequencer, a
// challenger) and measures its start to the first L1 and L2 blocks and
// its six processes' resident memory after a light load; for the L1 it
// measures the state transition's cost on one core, starts a real devnet
// and finds its finalized throughput with the load generator; for the L2
// it starts a one-validator L1 and a sequencer and finds the sequencer's
// soft-confirmed throughput and its latency at half of it; the rollup part
// runs the batch codec, derivation and fraud-proof benchmarks and, on an
// in-process rollup with the devnet's timing, a wrong batch's rollback and
// the bridge's deposit and withdrawal latencies. Each part prints its
// markdown table; every figure goes to bench/results/latest.json.
//
// Data flow: flags → devnetbench.Run (`devnet up` as a process, its RPCs,
// /proc/<pid>/status), l1bench.Run (a devnet, the load generator, a Go
// benchmark for the ceiling), l2bench.Run (a validator and the sequencer
// as processes) and rollupbench.Run (Go benchmarks of the batch codec,
// derivation and the fraud-proof verifier; three in-process runs of a
// wrong output from its batch's acceptance to the rollback, and deposits
// and withdrawals on one more, devnet/inproc) → each part's markdown
// table on stdout → the reports merged with the previous results file
// (a part skipped this time keeps its keys from there; results.go) →
// summary.Build over every part present → the closing table on stdout and
// one JSON file (bench/results/latest.json) with the summary's rows under
// "summary".
package main
