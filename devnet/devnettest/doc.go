// Package devnettest runs "devnet up" for the tests that use the whole
// devnet as a user does (cmd/devnet, tests/walkthrough, the dashboard's
// browser test): the binaries built side by side (devnet finds the others
// next to itself), a port offset whose ports are all free, the process and
// its output, a clean Ctrl-C, and the nodes' log tails when a test fails.
// SyncBuffer is also the in-process tests' log sink.
package devnettest
