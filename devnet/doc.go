// Package devnet builds and runs local bilayer networks: it generates the
// devnet genesis and keys, and (with the devnet issue) supervises the node
// processes and provides the cluster harness integration tests use.
package devnet
