// Package cluster runs a bilayer devnet as real operating-system processes
// on loopback ports, for integration tests.
//
// Data flow:
//
//  1. The first New in a test process builds the binaries once (go build of
//     ./cmd/validator, ./cmd/sequencer for a cluster with a sequencer and
//     ./cmd/challenger for one with a challenger, into a temporary
//     directory, with cgo when a C compiler exists); every later cluster in
//     the process reuses them.
//  2. New generates one secp256k1 key per validator and a devnet genesis
//     (devnet.NewGenesis, adjusted by Options) in t.TempDir(), runs
//     "validator init" for every data directory and "validator peer-id" to
//     learn each node's libp2p identity.
//  3. Every node gets free loopback ports (p2p, RPC, metrics), picked at
//     random below the kernel's ephemeral port range so that no outgoing
//     connection can hold them while the node is down, and is started as its
//     own process, in its own process group, writing to its own log file,
//     with every other node as a bootnode. A node is ready when its RPC and
//     metrics servers answer. A start that fails because another process
//     took one of its ports moves the node to new ports and tries again.
//  4. With Options.Sequencer the genesis also has the devnet rollup section
//     naming a generated sequencer key (short challenge and sequencing
//     windows, RollupWindow); once the validators answer, the key is
//     written as a keystore file, "sequencer init" imports it and
//     "sequencer run" follows validator 0's RPC on its own free loopback
//     ports. Cluster.Sequencer is that process as a Node: its Client is an
//     ethclient on the L2, SyncStatus and DepositStatus decode the rollup_
//     namespace, and it is faulted, cleaned up and logged like any node.
//     With Options.Challenger, "challenger run" (built from ./cmd/challenger)
//     follows node 1's RPC (another L1 node than the sequencer's) with the
//     cluster genesis and never contacts the sequencer; Cluster.Challenger
//     is that process as a Node, its SyncStatus carrying the Verification.
//  5. Tests drive the nodes over JSON-RPC (Node.Client is a go-ethereum
//     ethclient, Node.Call reaches the bilayer_ and admin_ namespaces) and
//     fault them: Kill (SIGKILL), Stop (SIGINT), Start/Restart (same data
//     directory and ports), Isolate/Rejoin (admin RPC).
//  6. Waits poll a condition until a deadline (Eventually, Await,
//     WaitHeight); nothing sleeps a fixed time to let things settle.
//  7. t.Cleanup kills every process group that is still running and, when
//     the test failed, prints the tail of every node's log.
//
// Test packages that use the harness should call RunTests from TestMain so
// the built binaries are removed when the test process ends.
package cluster
