// Command devnet runs a local bilayer devnet with one command: its job is
// to start the whole devnet (the L1's validators, the L2's sequencer and
// challenger) as separate processes on loopback, show what they do, and
// stop them all together.
//
// `devnet up` generates keys and a genesis, starts every node (four
// validators, then the L2 sequencer and the challenger) as a separate
// process of the same binaries a user runs, prints the summary (endpoints,
// chain ids, funded accounts, the rollup's windows, the dashboard's URL),
// then one live status line and one line per event, and stops everything on
// Ctrl-C. `devnet generate --docker` writes the data of the docker-compose
// devnet, `devnet node` starts a node inside a container, `devnet
// dashboard` serves the dashboard alone (also for the compose devnet) and
// `devnet reset` wipes a data directory.
//
// Data flow: flags → package devnet (generate the layout, keys and genesis;
// supervise the processes; write endpoints.json and the summary) →
// devnet/dashboard (the page and its same-origin JSON-RPC proxy) and
// devnet/watch (polls the nodes' public JSON-RPC: status line and events)
// → stdout; every node's log goes to <datadir>/logs.
//
// Files: up.go is `devnet up` (flags, preparing the layout, waiting for the
// L1, supervising and stopping the nodes), l2.go starts the L2 once the L1
// commits blocks (the sequencer's init and start, then the challenger, each
// waited for until its L2 RPC answers), display.go is what the terminal
// shows (the summary, the watcher's status line, a dead node's log tail)
// and the dashboard up serves; generate.go, node.go, dashboard.go and
// reset.go are the other commands, flags.go the flags they share and
// main.go the command table.
package main
