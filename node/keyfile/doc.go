// Package keyfile stores a node's secp256k1 keys — the validator's signing
// key and the p2p node key — as Web3 Secret Storage files (the encrypted
// JSON keystore format of go-ethereum and every Ethereum wallet), written
// atomically with mode 0600, and reads passwords from files.
package keyfile
