// Package bridge is the L1 side of the bridge between the L1 and the
// rollup: a native system contract at Address (0x…1003) whose ABI is
// shipped as abi/bridge.json.
//
// deposit(address l2Recipient), payable, locks the call's value in the
// bridge (it stays in the contract's balance) and records a deposit
// operation: the L1 block it happened in, its index among that block's
// bridge operations, sender, recipient and amount. Derivation reads the
// operations of each L1 block and the first L2 block whose origin reaches
// that L1 block mints them, before its transactions. A zero value, the zero
// recipient or the L2 withdrawal queue as recipient revert with a reason;
// an L1 block holds at most MaxOperationsPerBlock operations, and a deposit
// beyond that reverts ("retry in the next").
//
// Forced operations act on the caller's own L2 account (the same key owns
// the same address on both layers) and are recorded exactly as deposits
// are, in the same per-block numbering and bound, so derivation applies
// them like deposits, first, in the first L2 block whose origin reaches
// their L1 block; one the L2 balance cannot cover is recorded there as
// failed, never fatal. Both are non-payable and nothing moves on L1:
// forceWithdrawal(uint256 amount) records (OpForceWithdrawal, from = to =
// the caller) and emits ForceWithdrawal; forceTransfer(address to,
// uint256 amount) records (OpForceTransfer, from = the caller) and emits
// ForceTransfer. A zero amount, and for a transfer the zero recipient or
// the L2 withdrawal queue, revert with a reason.
//
// Payouts: payWithdrawal(uint64 nonce, address to, uint256 amount) pays an
// L2 withdrawal out of the bridge's balance; only Config.Payer, the rollup
// contract, may call it (from its end-of-block hook, through
// syscontract's internal call, once the withdrawal's batch is final: the
// rollup contract decides what is paid, the bridge holds the money). It
// pays the whole amount or reverts, adds it to totalWithdrawn and emits
// WithdrawalPaid(nonce, to, amount). A withdrawal to the bridge itself is
// burned.
//
// Views: operationCount(uint64 l1Block), operations(uint64 l1Block) (the
// tuples (kind, l1Block, index, from, to, amount)), totalDeposited() and
// totalWithdrawn(). Go accessors for the other packages: ReadOperations,
// TotalDeposited and TotalWithdrawn read the storage of a state directly
// (the fraud-proof verifier, tests); PackOperationsCall and
// UnpackOperations serve JSON-RPC clients (the sequencer's eth_call at an
// L1 block); PackDeposit, PackForceWithdrawal and PackForceTransfer build
// the users' calls; ParseDeposit and ParseOperation decode the operations'
// logs, ParseWithdrawalPaid the payouts'.
//
// The invariant the rollup keeps: the bridge's balance (its genesis balance,
// which backs the L2 prefunds, plus every deposit, minus withdrawals paid)
// equals the L2's total supply plus the withdrawals not yet paid.
//
// Storage layout (slots of the bridge's account, Solidity-style, as
// `uint256 totalDeposited; mapping(uint64 => Operation[]) operations;
// uint256 totalWithdrawn;` with
// `struct Operation { uint8 kind; uint64 l1Block; uint64 index; address
// from; address to; uint256 amount; }`):
//
//	0  uint256 totalDeposited   wei deposited since genesis (the genesis balance is not counted)
//	1  mapping(uint64 l1Block => Operation[])
//	     p = keccak256(pad32(l1Block) ‖ pad32(1))  the operation count of that L1 block
//	     keccak256(p) + 4i + 0   kind | l1Block << 8 | index << 72 (low-order bytes first)
//	     keccak256(p) + 4i + 1   from
//	     keccak256(p) + 4i + 2   to
//	     keccak256(p) + 4i + 3   amount
//	2  uint256 totalWithdrawn   wei paid out for L2 withdrawals since genesis
//
// The package imports only core: the node builds the contract with New and
// registers it; rollup packages read it through the accessors here.
package bridge
