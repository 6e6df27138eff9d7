// Package ethrpc serves the Ethereum JSON-RPC subset that wallets and
// libraries (go-ethereum's ethclient, ethers.js, MetaMask) need, over a
// Backend that the L1 validator and the L2 sequencer each implement.
//
// It is a translation layer only: it parses arguments, asks the Backend,
// and renders blocks, transactions, receipts and logs exactly as Ethereum
// nodes do, so that tools rebuilding a header from JSON compute the same
// hash the node uses. Chain-specific namespaces (bilayer_*, rollup_*) are
// registered by their owners on the same Server.
//
// Limits: request bodies of at most MaxRequestSize, batches of at most
// MaxBatchItems calls, responses of at most MaxResponseSize, log queries
// over at most MaxLogRange blocks. Errors say what was wrong; a reverted
// system-contract call returns code 3 with the revert data, as geth does
// (syscontract.RevertError carries both).
package ethrpc
