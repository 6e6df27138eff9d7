// Package keyfile stores secp256k1 keys — a validator's signing key and
// p2p node key, the sequencer's and the challenger's L1 keys — as Web3 Secret Storage files (the encrypted
// JSON keystore format of go-ethereum and every Ethereum wallet), written
// atomically with mode 0600, and reads passwords from files.
package keyfile
