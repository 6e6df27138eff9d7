// Package withdrawalqueue is the L2 side of the bridge: the withdrawal
// queue, a native system contract of the L2 at Address (0x…2001, DESIGN
// §12) whose ABI is shipped as abi/withdrawal_queue.json.
//
// A zero value, the zero recipient, or a recipient among the L1 system
// contracts and precompiles (below 0x…010000) reverts with a reason.
//
// initiateWithdrawal(address l1Recipient), payable, burns the call's value
// on L2, gives the withdrawal the next nonce (withdrawals are numbered from
// 0 in the order the L2 initiates them) and emits WithdrawalInitiated
// (nonce, from, to, amount). The state transition (core/execution) reads
// those logs back as the block's withdrawal list (Withdrawals), whose root
// the block's output commits to; the list rides in the batch and the L1
// pays it when the batch finalizes. A forced withdrawal from the L1 bridge
// runs the same method as the account's own call, before the block's
// transactions, so both paths share one nonce sequence and one event.
//
// Storage: slot 0 holds the withdrawal count (the next nonce), slot 1 the
// total wei ever withdrawn. Views: withdrawalCount(), totalWithdrawn().
//
// Data flow: user L2 tx → initiateWithdrawal → log → execution.Result
// .Withdrawals → batch → rollup contract on L1 → payout at finalization.
package withdrawalqueue
