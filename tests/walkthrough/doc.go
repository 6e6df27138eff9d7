// Package walkthrough holds the test that keeps the README's walkthrough
// true: TestREADMEWalkthrough reads the README's marked walkthrough blocks
// (<!-- walkthrough:begin PART --> … <!-- walkthrough:end -->), builds
// the binaries, and for each block does what it says — `make devnet`
// (with its DEVNET_ARGS) as `devnet up` on a temporary data directory
// and free loopback ports, `bin/devnet reset` as `devnet reset` — then
// runs scripts/walkthrough.sh PART against that devnet and requires the
// script to pass and the commands it printed ("$ bin/wallet …") to be,
// in order, exactly the block's `bin/wallet` lines.
//
// The "bridge" part (deposit → L2 transfer → withdrawal → automatic
// payout, on a plain devnet) must finish within two minutes with the
// devnet's challenge window of 30 one-second L1 blocks; the test logs how
// long it took. The "dispute" part runs on a fresh devnet started with
// --dev.bad-output-at N, waits for the challenger's fraud proof and shows
// it with `wallet dispute show`. Each devnet is stopped with SIGINT and
// must exit cleanly; on failure the test prints the nodes' logs.
//
// The test lives in package walkthrough_test; it skips under -short.
package walkthrough
