// Package summary builds `make bench`'s closing table, "bilayer — both
// layers": one row per figure of the benchmark issue (L1 finalized
// throughput and its ratio to the ceiling; L2 soft-confirmed throughput
// and receipt latency at half of the peak; L1 bytes per L2 transfer; the
// fraud proof's witness size and verification time; deposit and
// withdrawal latency; devnet start to the first L1 and L2 blocks;
// resident memory per process and in all), each with its value, its
// target or goal and whether it was met.
//
// Data flow: the parts' reports (bench/l1bench, bench/l2bench,
// bench/rollupbench, bench/devnetbench), as decoded from the merged
// results file so that a part skipped this time shows its previous
// figures → Build (pure) → rows → Markdown, and the rows under the
// results file's "summary" key.
package summary
