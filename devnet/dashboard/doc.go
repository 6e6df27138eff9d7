// Package dashboard serves the devnet's web page: a live view of both
// layers that "devnet up" serves on 127.0.0.1:8080 (plus the port offset;
// --dashboard.addr, --no-dashboard).
//
// The page shows the L1 (height, block time, the validators with their
// stake and who proposed, finality), the L2 (the unsafe, safe and
// finalized heads, blocks per second, the sequencer's pending
// transactions, the challenger's verdict), a timeline of L1 blocks with
// the batches they carried and each batch's challenge window as a
// countdown bar, the deposits and withdrawals in flight with their stage
// and time left, the disputes with their verdict and bond flow, and the
// devnet's endpoints and accounts.
//
// Data flow. The server holds no chain state and polls nothing; it serves
// three things, all on its one loopback listener:
//
//   - "/" and "/static/": the page (index.html, style.css, app.js),
//     embedded in the binary with go:embed. It references no external URL:
//     nothing is downloaded at run time, and there is no build step.
//   - "/api/config": the devnet as JSON (Config): the nodes with their
//     names, roles and public URLs, the chain ids, the rollup's windows and
//     block times, the system contracts' addresses and the topics of
//     their events, the development accounts.
//   - "/rpc/<node>": a same-origin reverse proxy to that node's public
//     JSON-RPC, for HTTP POST and WebSocket alike. It forwards requests
//     unchanged (the node's own CORS, host and work limits still apply),
//     so the page needs no CORS and works against any devnet whose RPC the
//     server can reach, the compose devnet included. Only the nodes of the
//     Config are reachable; requests addressed to a host name other than
//     localhost or an IP address (DNS rebinding) and WebSocket handshakes
//     from a page of another origin are refused.
//
// The page's JavaScript (static/app.js) does the rest in the browser: it
// subscribes over WebSocket (eth_subscribe newHeads and logs) to an L1
// validator (the rollup contract's and the bridge's logs) and to the
// sequencer (its heads and the withdrawal queue's logs), reads what came
// before with eth_getLogs, and polls, about once a second, the calls no
// subscription gives: rollup_syncStatus of the sequencer and the
// challenger, txpool_status, rollup_depositStatus of the deposits and
// rollup_withdrawalStatus of the withdrawals in flight, bilayer_validators
// and bilayer_consensusState, rollup_disputes and the accounts' balances.
// So it reads only the nodes' public JSON-RPC, never a process's
// internals.
package dashboard
