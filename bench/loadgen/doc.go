// Package loadgen drives a bilayer chain with signed transfers over
// JSON-RPC and measures what the chain finalizes.
//
// Data flow: Fund gives a set of load accounts (derived from a seed, so
// runs are repeatable) their balance from the devnet's funded accounts;
// Presign signs every transfer of a run in advance, so signing never limits
// the offered rate; Run submits them at a target rate with batch requests
// over several connections (each account's transfers always go through the
// same connection, in nonce order) while a watcher reads every new block
// and matches its transactions to their send times. Throughput comes from
// block contents, never from send rates; latency is from send to the moment
// the watcher saw the block that holds the transaction. Search raises the
// rate step by step until finalized throughput stops rising.
package loadgen
