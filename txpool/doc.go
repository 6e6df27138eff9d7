// Package txpool holds the transactions a chain's block producer has
// accepted but not yet seen committed, and hands them to the block builder
// in the order a block should contain them. It is used by the L1 node (the
// validator's mempool) and the L2 sequencer alike, so it imports neither
// node nor rollup: the chain-specific admission check is injected as a
// ValidateFunc.
//
// Data flow:
//
//   - Add (from JSON-RPC or from gossip) recovers each sender once (the
//     signer caches it in the transaction), runs the injected Validate
//     against the current state (chain id, signature, size, gas, fee cap,
//     nonce not too low, funds — the balance it sees is reduced by the
//     cost of the sender's other pooled transactions, so the balance must
//     cover their sum), then files the transaction under its sender by
//     nonce. As in Ethereum, a transaction whose nonce follows the state
//     nonce and the sender's pooled ones without a gap is executable and
//     has no per-sender limit (only the pool's bounds); one behind a gap
//     (future) is refused beyond MaxNonceGap ahead of the pending nonce
//     and beyond MaxFuturePerSender such transactions per sender. A transaction with the nonce of one already in the
//     pool replaces it only if both its tip and fee cap are at least
//     PriceBump percent higher. Every rejection is returned as an error
//     that says why.
//   - The pool is bounded by count and by bytes. When full, transactions
//     stuck behind a nonce gap are evicted first, then the cheapest
//     transaction that ends a sender's nonce chain, to make room for a
//     better-paying one; a transaction cheaper than all of those is
//     refused with ErrPoolFull. Refusing costs no scan of the pool: it
//     keeps the accounts with a gap and a lower bound of every pooled
//     transaction's caps (floor.go), and CheckRoom applies the same test
//     before a sender is even recovered.
//   - Executable returns, for the block builder, an iterator over the
//     transactions whose nonces follow the state's without a gap, best
//     effective tip first while keeping each sender's nonce order.
//   - Reset runs after every committed block with the new state and base
//     fee: it drops transactions whose nonce is now used, re-validates the
//     rest, and drops a sender's transactions from the first invalid one on.
//
// The pool is safe for concurrent use.
package txpool
