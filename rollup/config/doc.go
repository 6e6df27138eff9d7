// Package config holds the rollup's parameters, read from the `rollup`
// section of the L1 genesis (FromGenesis), and derives the L2 genesis from
// them: the L2 genesis state is the section's prefunds plus the L2 system
// contracts' accounts (L2GenesisAlloc), and the L2 genesis block
// (L2GenesisBlock) has the L1 genesis time, the L2 gas limit and initial
// base fee, the fee vault as coinbase and the L1 genesis block as its L1
// origin. So the L2 genesis is a pure function of the L1 genesis, and every
// L1 validator, the sequencer and the challenger agree on it.
//
// The parameters that decide who may post: the sequencer (rollup.sequencer)
// may post at any time once bonded; any other account that bonded
// SequencerBond may post too once SequencerTimeout L1 blocks (default
// 2 × SequencingWindow, always above it) have passed since the last
// accepted batch or successful challenge, so that the deposit-only blocks
// derivation makes when the sequencer is gone, and the forced withdrawals
// they carry, still get posted, finalized and paid.
//
// FromGenesis refuses an invalid section with an error that names the field
// (wrapping genesis.ErrInvalid), and a genesis whose L2 prefunds are not
// exactly the L1 bridge's genesis balance (ErrUnbacked): every L2 wei must
// be backed by one locked in the L1 bridge from block 0.
//
// The package also names the rollup's fixed addresses (FeeVault, and the
// bridge's BridgeAddress and WithdrawalQueueAddress) and gives the L2's
// state-transition config (ExecutionConfig). It imports core and bridge
// only.
package config
