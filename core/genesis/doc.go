// Package genesis reads, validates and applies a bilayer genesis file: the
// chain id, the initial allocations, the genesis validators with their
// stake, block parameters (time, gas limit, size), the EIP-1559 base-fee
// parameters, consensus timeouts and system-contract settings, and,
// optionally, the rollup's parameters (Rollup: L2 chain id, block time and
// caps, L2 base fee and prefunds, windows, sequencer and its bond, L1
// data-fee scalar). A genesis without a rollup section hashes as it did
// before the section existed.
//
// Data flow: Load (or Parse) decodes the JSON strictly (an unknown field is
// an error), fills documented defaults for optional settings, and Validate
// names the first bad field. ApplyState writes the allocations into a
// StateDB; the caller commits it and passes the state root to Block, which
// builds the genesis block whose hash identifies the chain.
//
// Amounts (balances, stakes, fees) are JSON strings in wei ("1000"), hex
// wei ("0x3e8"), or a decimal with a unit ("10000 ETH", "1.5 gwei"); they are
// written back as decimal wei.
package genesis
