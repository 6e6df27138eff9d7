// Package wallet is the logic behind the wallet CLI (cmd/wallet): ether
// amounts, a Web3 Secret Storage keystore, the choice of signing key, fee
// math, and the JSON-RPC flows that read balances, send transfers and look
// transactions up on the L1 or the L2.
//
// Data flow of a transfer:
//
//  1. The caller picks a signer: a devnet account (DevAccount) or a key
//     from the keystore (Keystore.Load), and parses the amount
//     (ParseEther).
//  2. Client.PlanTransfer reads the chain id, the pending nonce, the
//     suggested tip and the latest base fee, estimates the gas, and builds
//     an EIP-1559 transaction with fee cap 2×baseFee + tip (FeeCap). It
//     checks the balance against amount + gas × fee cap (MaxCost) first and
//     returns an *InsufficientFundsError without sending anything.
//  3. Client.Send signs and submits it; Client.WaitReceipt polls for the
//     receipt until it arrives or the context ends, reporting progress
//     through a callback.
//  4. Client.Receipted turns the receipt into the summary the CLI prints
//     (block, status, gas, effective gas price, fee paid).
//
// Data flow of a deposit: PlanCall to the L1 bridge with
// bridge.PackDeposit(to) and the amount as value; Send and WaitReceipt on
// the L1; DepositFromReceipt reads the bridge's Deposit log (its L1 block
// and index); WaitDeposit polls the L2 sequencer's rollup_depositStatus
// until it says applied, reporting DepositProgress; NewDepositSummary is
// what the CLI prints. On the L2, receipts carry l1Fee (the L1 data fee),
// which WaitReceipt and Lookup keep and TxSummary shows beside the gas fee.
//
// Data flow of a withdrawal: PlanCall on the L2 to the withdrawal queue
// with withdrawalqueue.PackInitiate(to) and the amount as value; Send and
// WaitReceipt; WithdrawalFromReceipt reads its nonce; WaitWithdrawal polls
// the sequencer's rollup_withdrawalStatus (WithdrawalStatus: initiated,
// safe, finalized, paid, with the L1 blocks and seconds left) until the
// L1 has paid it, reporting WithdrawalProgress. A forced operation is an
// L1 transaction to the bridge (OperationFromReceipt reads its L1 block and
// index); WaitOperation polls rollup_depositStatus until the L2 applied it
// or recorded it as failed (OperationStatus.Reason), and a forced
// withdrawal's nonce comes from rollup_withdrawalStatus with its
// operation (WithdrawalRef.Operation).
//
// Every error that a user can cause or fix says what to do, for example
// ErrUnreachable: "cannot reach the node at URL: is the devnet running?
// (make devnet)". Nothing here reads flags, the environment or a terminal:
// cmd/wallet does that and passes values in.
package wallet
