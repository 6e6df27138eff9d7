// Package protocol holds the definitions of the rollup that every party
// shares — the sequencer's batcher, derivation, the challenger and the L1
// rollup contract — so that they cannot disagree on them. It is pure: no
// goroutines, no I/O, no clock, no global randomness; it takes inputs and
// returns outputs.
//
// Commitments (DESIGN §6 and §7):
//
//   - the output root of an L2 block:
//     OutputRoot = keccak256(version ‖ stateRoot ‖ withdrawalsRoot ‖ blockHash),
//     version being 32 zero bytes (output version 0);
//   - the withdrawals root of the withdrawals a block initiated:
//     WithdrawalsRoot = keccak256(rlp([[nonce, from, to, amount], …]));
//   - the inputs hash of an L2 block, everything derivation needs besides
//     the L1 operations (which anyone reads from the bridge's state at the
//     origin): InputsHash = keccak256(rlp([number, time, originNumber,
//     originHash, txRoot])), txRoot being the Ethereum transactions root;
//   - per batch, a binary Merkle tree (see MerkleRoot for its exact shape)
//     over one leaf per block, Leaf = keccak256(0x00 ‖ inputsHash ‖
//     outputRoot), whose root the rollup contract keeps: what a fraud proof
//     opens with MerkleProof / VerifyMerkleProof.
//
// The batch verdict: CheckBatch is the one pure function that decides
// whether a batch extends the rollup, used unchanged by the L1 rollup
// contract when a batch is submitted and by anyone replaying that decision
// (derivation, tests). It returns Accept, or Drop with a sentinel error
// naming the broken rule. Its inputs are the batch and a CheckContext: the
// last accepted L2 block, the L1 block that includes the batch, the L1
// history the contract keeps (origin lookups), the sequencing window and
// the caps.
//
// Fraud proofs (DESIGN §7): FraudProof is the one argument of the rollup
// contract's challenge, the disputed block as posted with its Merkle path,
// the parent's header, extras and path, and the witness. BuildFraudProof
// assembles it, purely, from the posted batches, the origins' hashes, the
// challenger's own parent block and the witness it collected by
// re-executing the block (execution.Options{CollectWitness: true}).
package protocol
