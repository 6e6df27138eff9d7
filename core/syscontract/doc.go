// Package syscontract is the framework for bilayer's system contracts: native
// Go contracts that live at fixed addresses and look like Solidity contracts
// to Ethereum tools.
//
// A contract declares its address, its ABI (Solidity JSON, so ethers and
// ethclient can call it), and one Method per ABI function: a fixed gas cost
// and a Go Handler. Whether a method accepts value, and whether it is a view,
// comes from the ABI's stateMutability, so the JSON is the single source of
// truth. Contracts keep their state in the storage slots of their own account
// (so it is in the state root and provable with eth_getProof) and emit
// Ethereum-style logs for events declared in the ABI.
//
// Data flow of a transaction that calls a system contract (Registry.Run):
//
//  1. the execution package has validated the transaction and charged the fee;
//  2. Run takes a StateDB snapshot, looks the method up by its 4-byte selector,
//     charges the method's fixed gas, refuses value to a non-payable method,
//     moves the value from the caller to the contract and calls the Handler
//     with the ABI-decoded arguments;
//  3. on any failure (revert, out of gas, bad input) it reverts to the
//     snapshot, so everything except the nonce and the fee is undone, and
//     returns a *RevertError carrying the ABI-encoded Error(string) reason.
//
// Read-only calls (eth_call, eth_estimateGas) use Registry.Call, which runs
// the same path and always reverts at the end.
//
// End of block: a contract that also implements EndBlocker gets EndBlock once
// per block, after the last transaction, in address order. Each gets its own
// gas budget (EndBlockGas). Storage writes, value transfers and logs are
// metered automatically in this mode (see the *Gas constants), and a contract
// with a loop must also call Context.UseGas per item and stop when GasLeft is
// low, leaving the rest for the next block. A hook that runs out of gas or
// fails is reverted for that block — the block itself stays valid — so no
// end-of-block work can grow without limit. End-of-block gas is not part of
// the block's gas used; no one pays for it.
//
// Internal calls: a handler or hook may call a method of another system
// contract with Context.CallContract (the rollup contract pays withdrawals
// through the bridge's method this way, so each contract moves only its
// own balance). The callee sees the calling contract as its caller, gets
// no value, runs on the caller's remaining gas (InternalCallGas, its fixed
// gas, and its state effects always metered), nests at most MaxCallDepth
// deep, and on failure only its own changes are reverted: the caller
// decides what the failure means.
//
// Accounts: a system contract account has nonce 1 and the one-byte code
// MarkerCode (0xfe, INVALID in the EVM), so EIP-161 never deletes it and
// eth_getCode shows it is a contract. Registry.Accounts gives the genesis
// entries; Run also installs the marker the first time a contract is called,
// deterministically, if genesis did not.
package syscontract
