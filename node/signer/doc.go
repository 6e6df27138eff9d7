// Package signer is the double-sign guard of a validator key.
//
// A validator that signs two different prevotes (or precommits, or
// proposals) for the same height and round is slashed, and if a third of the
// stake did so, consensus could fork. Signer makes that impossible for an
// honest node, even one that crashes at any instant:
//
//  1. A Request names its position — height, round, step (propose <
//     prevote < precommit) — and the digest of its sign-bytes.
//  2. Sign compares the position with the last one signed (CometBFT's
//     CheckHRS): below is refused (ErrRegression); equal with the same digest
//     returns the stored signature (the node crashed after persisting but
//     before sending, and now asks again); equal with another digest is
//     refused (ErrConflict); above is signed.
//  3. Before a signature is returned, the position, digest and signature are
//     saved through a StateStore whose Save is durable when it returns. A
//     crash before the save loses a signature nobody has seen; a crash after
//     it is covered by rule 2. If a save fails, the Signer refuses
//     everything (ErrStoreFailed) until it is rebuilt with New.
//
// StateStore has two implementations: FileStore for nodes (two checksummed
// slots overwritten in turn, each save synced with fdatasync; the file itself
// is first written through a synced temporary file and a rename), and
// MemStore for the consensus
// simulator, which holds exactly what a disk would after a crash and can
// inject a crash before or after a save.
//
// The package knows nothing of consensus types: the caller computes the
// digest (consensus.VoteSignBytes / ProposalSignBytes) and the step.
package signer
