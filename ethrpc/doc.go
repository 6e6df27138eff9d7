// Package ethrpc serves the Ethereum JSON-RPC subset that wallets and
// libraries (go-ethereum's ethclient, ethers.js, viem, MetaMask) need, over
// a Backend that the L1 validator and the L2 sequencer each implement.
//
// It is a translation layer only: it parses arguments, asks the Backend,
// and renders blocks, transactions, receipts and logs exactly as Ethereum
// nodes do, so that tools rebuilding a header from JSON compute the same
// hash the node uses. Chain-specific namespaces (bilayer_*, rollup_*) are
// registered by their owners on the same Server. docs/rpc.md lists every
// method and what differs from Ethereum.
//
// Watching the chain: eth_subscribe over WebSocket (newHeads, logs,
// newPendingTransactions) and the filter methods over any transport. Both
// follow the chain with a follower (follow.go): every block once, in
// order, and, when the chain loses blocks (an L2 rolled back after a
// challenge), the lost blocks' logs again with "removed": true. Backends
// announce nothing: while someone listens, the server reads the head
// number every HeadPollInterval and lists the pool (an optional
// TxPoolBackend) every PoolPollInterval. Filters live FilterTimeout unused
// (five minutes, as geth's), at most MaxFilters per server.
//
// Browser access: requests addressed to a host name not in SetVirtualHosts
// are refused (DNS rebinding); CORS answers and WebSocket connections are
// for the origins of SetCORS only. Both default to this machine
// (DefaultCORS, DefaultVHosts).
//
// Limits: request bodies of at most MaxRequestSize, batches of at most
// MaxBatchItems calls, responses of at most MaxResponseSize, log queries
// over at most MaxLogRange blocks and MaxLogResults logs. Work (about one
// block read a unit) is budgeted per call (MaxCallWork), per HTTP request
// or batch (MaxRequestWork) and per WebSocket connection (MaxRequestWork,
// refilled every second); at most MaxConcurrentHeavy calls that read many
// blocks run at once, MaxConcurrentRequests HTTP requests and
// MaxWebSocketConnections connections; a request stops at RequestTimeout
// or when its client goes away. Each refusal says which limit refused it.
// Errors say what was wrong; a reverted system-contract call returns code
// 3 with the revert data, as geth does (syscontract.RevertError carries
// both).
package ethrpc
