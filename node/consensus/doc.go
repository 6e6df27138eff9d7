// Package consensus is bilayer's L1 consensus: Tendermint BFT ("The latest
// gossip on BFT consensus", Buchman, Kwon, Milosevic, 2018, Algorithm 1) as a
// pure state machine, in the style of etcd's raft.
//
// # The machine
//
// Machine holds the paper's variables of one validator — h_p, round_p,
// step_p, lockedValue/lockedRound, validValue/validRound — and nothing else
// of the world. It has no goroutines, clock, I/O, mutex or randomness. The
// caller (the driver) feeds it one Input at a time with Step and performs the
// Actions it returns. The upon-rules live in rules.go, one method per rule,
// named after the paper's lines (uponProposalInPropose is lines 22-27, ...);
// StartRound, the timeouts and the decision are in state.go.
//
// Inputs (inputs.go): ProposalReceived, VoteReceived (verified messages from
// peers), TimeoutFired, ValueBuilt (the paper's getValue), ValidationResult
// (valid(v)), VoteSigned and ProposalSigned (the signer's answers),
// CommitReceived (a verified certificate from a peer that is ahead) and
// Applied (the decided block is stored and executed; carries the next
// validator set).
//
// Actions (actions.go): Persist, SignVote, SignProposal, BroadcastVote,
// BroadcastProposal, ScheduleTimeout, BuildValue, Validate, CommitBlock
// (with the 2/3+ precommit certificate) and ReportEvidence.
//
// # What the driver must do, in order
//
//  1. Verify every message before Step: Verifier.Vote / Verifier.Proposal /
//     Verifier.Commit against the validator set of the message's height
//     (Machine.Validators for the current one). The machine counts what it
//     is given.
//  2. Perform the actions of one Step in the order returned, all of them,
//     before calling Step again. Answers (a signed vote, a built value, a
//     validation result, Applied) are fed as later inputs.
//  3. Persist: write State durably (fsync) before performing the next action.
//     The machine always emits Persist before SignVote/SignProposal, and
//     again, with the signed vote in OwnVotes, before BroadcastVote. So a
//     vote is on disk before it is signed for good, and signed before it is
//     sent: persist → sign → send → apply.
//  4. SignVote / SignProposal: sign through node/signer (the double-sign
//     guard) with VoteSignBytes / ProposalSignBytes; feed VoteSigned /
//     ProposalSigned. If the guard refuses, drop the request.
//  5. BroadcastVote / BroadcastProposal: send to peers (a re-proposal carries
//     its POL prevotes). Re-send own messages of the current height
//     periodically, and the verified prevotes and precommits of other
//     validators held for the current and the previous round, as the
//     signed messages received (at most once each per interval): the
//     paper's liveness assumes that a message one correct process received
//     reaches every correct process after GST, and a byzantine validator
//     that sends a vote once, to some honest nodes only, would otherwise
//     split them between two rounds for good. Answer a peer behind by a
//     height with its Commit.
//  6. ScheduleTimeout: feed TimeoutFired after Duration of local time.
//  7. CommitBlock: store the block and its certificate durably and execute it,
//     then feed Applied with the next height's validator set.
//  8. ReportEvidence: submit the evidence (staking contract).
//
// After a crash, build the machine with RestoreMachine from the last
// persisted State if it is for the height after the last stored block,
// otherwise with NewMachine at that height. The machine re-sends its own
// persisted votes, asks again for a vote it was signing (the guard returns
// the identical signature if it had signed it), and resumes its step with
// that step's timeout. Received votes are not persisted: peers re-send them.
//
// # Counting
//
// VoteSet counts stake: more than 2/3 of the total for a quorum (2f+1), more
// than 1/3 for f+1 (round skip, line 55). A validator voting for two values
// counts for each (the paper's model of a byzantine sender) and produces one
// Evidence. ValidatorSet chooses proposers by proposer priority (CometBFT's
// stake-weighted round robin), identically on every node.
//
// # Deviations from the paper
//
//   - timeoutPropose is scheduled on the proposer too, so a proposer whose
//     value is never built or signed still moves on.
//   - The move to h_p+1 after a decision waits for the Applied input.
//   - CommitReceived decides from a certificate learned from a peer.
//   - A restarted node resumes its persisted step and schedules that step's
//     timeout, rather than replaying a WAL of received messages.
//   - Messages more than Config.MaxRoundsAhead rounds ahead are dropped.
//
// The simulator (sim_test.go and sim*_test.go) runs whole clusters from one
// seed under faults and checks agreement, validity, no honest double sign,
// evidence for observed equivocation and liveness after healing.
package consensus
