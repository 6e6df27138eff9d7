// Package l1 is the L2 side's client of the L1 chain: the sequencer's
// batcher and the challenger read the L1 and send transactions to it
// through this package, over Ethereum JSON-RPC only (go-ethereum's rpc and
// ethclient). It never imports the validator's packages.
//
// Data flow:
//
//   - Client reads: the head number, headers and block references (Ref:
//     number, hash, parent hash, time, base fee; the hash is computed from
//     the header and checked against the hash the node reports), logs,
//     balances, nonces, and read-only calls of the system contracts. A
//     call or gas estimate the contract reverts comes back as an error
//     wrapping a *RevertError with the decoded reason. L1 blocks are final
//     once committed (BFT, no reorgs), so "latest" is final and Blocks can
//     walk the chain forward, checking parent links, without reorg
//     handling. Waiting (WaitForBlock, Blocks, Pending.Wait) polls the head
//     every poll interval (WithPollInterval), bounded by the caller's
//     context.
//   - Sender writes: one key, one local nonce counter initialised from the
//     node's pending nonce. Send estimates gas (eth_estimateGas) if asked,
//     reads the suggested tip (eth_maxPriorityFeePerGas) and the head's
//     base fee, signs a dynamic-fee transaction with fee cap
//     2 × base fee + tip and submits it under a mutex, so concurrent sends
//     get consecutive nonces. "Nonce too low" or "replacement underpriced"
//     (another user of the same key) moves the counter forward to the
//     node's pending nonce and retries; "already known" is success. A
//     submission with no answer keeps its nonce reserved: the next send
//     first re-broadcasts it or confirms the nonce is used, so a nonce is
//     never signed for two different transactions.
//   - Pending.Wait polls for the receipt of any version of the
//     transaction. When ResendAfter L1 blocks pass without inclusion, it
//     re-signs the same transaction with tip and fee cap raised by 12.5 %
//     (the pool requires 10 %), bounded by MaxFeeCap, and logs the bump. A
//     receipt with status 0 is an error (*TxFailedError) carrying the
//     revert reason, recovered by re-running the transaction with eth_call
//     on the state of the block before it.
//
// Every error says what failed ("l1: get block 12: not found") and wraps
// the cause, so errors.Is and errors.As reach ErrNotFound, *RevertError,
// ErrTxFailed and the rest. Client and Sender are safe for concurrent use.
package l1
