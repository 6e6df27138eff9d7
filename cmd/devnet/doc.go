// Command devnet runs a local bilayer devnet with one command: it generates
// keys and a genesis, starts every node (four validators, then the L2
// sequencer and the challenger) as a separate process of the same binaries
// a user runs, prints the summary (endpoints, chain ids, funded accounts,
// the rollup's windows, the dashboard's URL), then one live status line and
// one line per event, and stops everything on Ctrl-C. It also generates
// the data of the docker-compose devnet, starts a node inside a container,
// serves the dashboard alone (`devnet dashboard`, also for the compose
// devnet) and wipes a data directory (`devnet reset`).
//
// Data flow: flags → package devnet (generate the layout, keys and genesis;
// supervise the processes; write endpoints.json and the summary) →
// devnet/dashboard (the page and its same-origin JSON-RPC proxy) and
// devnet/watch (polls the nodes' public JSON-RPC: status line and events)
// → stdout; every node's log goes to <datadir>/logs.
package main
