// Package l1 holds the L1 validator integration tests: each test starts
// real validator processes on free loopback ports with devnet/cluster and
// drives them over JSON-RPC with go-ethereum's ethclient and the bilayer_
// namespace, faulting them with SIGKILL, SIGINT and restarts.
//
// The tests live in package l1_test; this file only documents them. Run
// them with go test ./tests/l1/... (they skip under -short).
package l1
