// Package l2open opens what the sequencer and the challenger both run on:
// the rollup configuration (from the genesis and the L1's genesis block
// hash), and the L2 database and chain in a directory, with caches sized
// by --cache. Each binary then wires its own role on top.
package l2open
