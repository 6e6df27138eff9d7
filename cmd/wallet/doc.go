// Command wallet sends and inspects transactions on a bilayer devnet, on
// the L1 or (with --layer l2) the L2:
//
//	wallet account new|import|list     Web3 Secret Storage keystore
//	wallet balance [ADDRESS]           balance in ETH (wei with --json)
//	wallet transfer --to ADDR --amount 1.5
//	wallet tx HASH                     transaction and receipt, or pending
//	wallet deposit --amount 1 [--to ADDR]   L1 -> L2 through the bridge, waits until applied
//	wallet deposit-status L1-BLOCK INDEX    where the L2 says a deposit is
//
// balance, transfer and tx use the L1 (--rpc) or, with --layer l2, the L2
// (--l2-rpc, or --rpc given on the command line); the chain id comes from
// the node. An L2 receipt's fee is the gas fee plus the L1 data fee
// (l1Fee). deposit always sends on the L1 and waits on the L2.
//
// The signing key is the devnet's N-th well-known test account with
// --dev-account N, else the keystore account --from names, else the
// keystore's first account; a keystore key is unlocked with the password
// from --password-file, $BILAYER_PASSWORD, or a prompt when stdin is a
// terminal.
//
// This command holds only flags and wiring; the logic is package wallet.
// Data flow: main → run (builds the urfave/cli app with injected stdio and
// environment, prints errors, picks the exit code) → a command action in
// this package, which reads the flags (global flags are declared on the
// app and again on every command, so they work before or after the command
// name; the innermost one given wins), calls package wallet, and prints
// text or, with --json, one JSON value on stdout. Progress goes to stderr,
// only when stderr is a terminal.
//
// Data flow: flags and environment → a signer (keystore or development
// account) and JSON-RPC clients for the L1 and the L2 → package wallet,
// which builds, sends and waits for transactions → text or JSON output.
package main
