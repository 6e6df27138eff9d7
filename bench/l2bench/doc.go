// Package l2bench is `make bench` for the L2: how many transfers per
// second one sequencer soft-confirms on this machine, and how long a
// transfer takes from its send to its receipt at half that rate.
//
// What runs: a real one-validator L1 (`devnet generate --validators 1`,
// the validator started with the devnet's own arguments) and a real
// `sequencer run` process on it, both from the binaries `make build` made,
// on loopback ports. The L1 only supplies origins to the sequencer, so one
// validator is enough and uses almost no CPU. We chose real processes over
// an in-process sequencer on a fake L1 because they measure exactly what a
// user runs: the JSON-RPC server with its batch handling, sender recovery
// and pool admission on the RPC goroutines, the producer loop with its
// block-time policy, and the synced pebble commit of every block, in the
// sequencer's own process with its own GOMAXPROCS and GC. A fake L1 would
// save nothing measurable (the validator idles at one block a second) and
// an in-process sequencer would share the load generator's heap and
// scheduler, which hides contention instead of exposing it.
//
// The load: the L2 genesis prefunds only the ten development accounts, so
// the load accounts (derived from a seed) are funded first by fan-out
// transfers on the L2 itself (loadgen.FanOut: dev accounts fund a few hubs,
// the hubs fund the rest, at most 100 pending per sender so the pool's
// per-sender bound never refuses one). Then loadgen.Search offers rising
// rates of presigned transfers over batched JSON-RPC (100 per request,
// several connections) and counts the transfers in the L2 blocks the
// sequencer commits: throughput comes from block contents, never from
// send rates. A final step at half the peak rate gives the latency.
//
// Latency is send → receipt: from just before the batch carrying a
// transfer is sent to the moment the watcher, polling every 5 ms, sees the
// block that holds it. The sequencer commits a block's receipts, its
// transaction index and the new head in one synced batch and serves
// nothing of a block before that, so a transfer's receipt is readable at
// exactly the moment its block is, and polling blocks measures receipt
// latency (up to the poll interval) without one receipt query per
// transfer.
//
// Sharing two cores: the load generator runs on the same machine as the
// sequencer. Signing is done before each step, so during a step the load
// generator only encodes and sends; every step records the CPU (cores)
// used by the sequencer, the load generator and the L1 validator over its
// send window, and the report prints them for the peak step, so a reader
// can see whether the sequencer had the machine to itself. Other processes
// count too: before each step the benchmark waits (up to 10 s) until they
// use less than 0.3 cores, a step during which they used more is offered
// once more, and the report warns when the peak step was not quiet.
//
// The ceiling: before starting anything, BenchmarkSequencerBlock1000Transfers
// (in this package) measures the sequencer's own code in one process with
// the machine to itself: admission (decode, the RPC backend's checks with
// sender recovery, pool admission) and production (pool snapshot,
// execution, state root, trie commit, the synced block batch, pool upkeep)
// of 1,000-transfer blocks over 100k accounts, in µs per transfer.
// Production runs in one goroutine, so the sequencer confirms at most
// 1/produce transfers a second; admission and production share the cores,
// so at most cores/(admit+produce); and the block policy caps it at the
// per-block transaction cap over the shortest block interval. The report
// puts the measured throughput beside the smallest of the three.
//
// Targets (printed beside the measurements with a pass or fail mark; a
// missed target never fails the run): ≥ 15,000 transfers/s soft-confirmed,
// p50 ≤ 50 ms and p99 ≤ 300 ms at half the peak.
package l2bench
