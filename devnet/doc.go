// Package devnet builds and runs local bilayer networks.
//
// Data flow of "devnet up" (cmd/devnet wires these together):
//
//  1. AcquireLock takes <datadir>/devnet.pid so that one devnet process at
//     a time uses a data directory ("devnet reset" refuses while it is held).
//  2. Generate, on the first run only, writes a password file (0600), makes
//     one validator key per node and a sequencer key (a keystore at
//     <datadir>/keys/sequencer.json, same password), the genesis
//     (NewGenesis: chain 1337, the ten development accounts of package
//     devkeys with 10,000 ETH each, the sequencer with 1,000 ETH, and the
//     rollup section: L2 chain 1338 with the development accounts prefunded
//     with 10,000 ETH each on L2, backed by the L1 bridge's genesis balance)
//     and runs "validator init" and "validator peer-id" for each node;
//     devnet.json (Config) records the result, the sequencer's address and
//     keystore included, so later runs resume the same network.
//  3. InitSequencer runs "sequencer init" (SequencerInitArgs) once, into
//     <datadir>/sequencer. CheckPortsFree, CheckSequencerPortsFree and
//     CheckChallengerPortsFree check every port (PortsFor: RPC 8545+i, p2p
//     30303+i, metrics 6060+i; SequencerPorts: L2 RPC 9545, metrics 7060;
//     ChallengerPorts: L2 RPC 9546, metrics 7061; plus the port offset)
//     before anything starts.
//  4. Start (Supervisor) runs "validator run" (RunArgs) for each node as a
//     child process in its own process group, tied to this process's life
//     on Linux; every log line goes to <datadir>/logs/<name>.log and, with
//     "devnet up --verbose", to the terminal prefixed with "[<name>] ".
//  5. WriteEndpoints records what runs where (endpoints.json); WaitForHeight
//     waits for a committed block on every validator; then
//     Supervisor.StartSequencer runs "sequencer run" (SequencerRunArgs,
//     following validator 0) the same way and WaitForRPC waits until its
//     L2 RPC answers the L2 chain id; then Supervisor.StartChallenger runs
//     "challenger run" (ChallengerRunArgs: the devnet genesis, following
//     validator 1, never the sequencer) into <datadir>/challenger and
//     WaitForRPC waits for its read-only L2 RPC; WriteSummary prints what
//     a user needs, as anvil does, with the rollup's windows
//     (LoadChainParams reads them from the genesis). Then, unless
//     --verbose or --quiet, package devnet/watch follows the running
//     devnet: a status line and one line per event.
//  6. Stop sends SIGINT to the sequencer and the challenger, then to every
//     validator, and kills any that outlives a bound.
//
// In ModeDocker, Generate writes the same files for containers that find
// each other by host name ("/dns4/validator-<i>/tcp/30303/p2p/<id>"), and
// "devnet node" turns them into the arguments of "validator run" (or, for
// the sequencer container, runs "sequencer init" once and "sequencer run"
// following http://validator-0:8545; for the challenger container,
// "challenger run" following http://validator-1:8545).
package devnet
