// Package devkeys derives the well-known development accounts that every
// Ethereum devnet tool prefunds: the BIP-44 accounts m/44'/60'/0'/0/i of the
// mnemonic "test test test test test test test test test test test junk"
// (Hardhat's and Anvil's), so account 0 is
// 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 here as everywhere.
//
// It implements just the BIP-39 seed (PBKDF2-HMAC-SHA512) and BIP-32
// private-key derivation that this needs. These keys are public knowledge:
// they are for devnets only and must never hold real value.
package devkeys
