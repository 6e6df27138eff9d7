// Package devnetbench is `make bench`'s whole-devnet part: it starts the
// devnet a user gets from `make devnet` — `devnet up` with 4 validators, a
// sequencer and a challenger, six processes on loopback ports of their own
// in a temporary data directory — and measures how long it takes from the
// start of `devnet up` to the first L1 block (every validator's
// eth_blockNumber ≥ 1) and to the first L2 block (the sequencer's
// eth_blockNumber ≥ 1; one L2 transfer is sent as soon as the sequencer
// answers, since an idle L2 makes blocks only when its L1 origin must
// advance). Then it offers a light load (a few transfers a second on each
// layer) for about 20 s and reads every process's resident memory from
// /proc/<pid>/status, per process and in all, against the goal of 600 MB
// for the six. Outside Linux the memory is reported as not measured.
//
// Data flow: devnet generate → devnet up (timed) → poll the RPCs for the
// first blocks → endpoints.json for the processes' pids → light load →
// /proc/<pid>/status → Report (JSON keys devnet_*, a markdown table) →
// SIGINT to devnet up, which stops its nodes.
package devnetbench
