// Package contract is the L1 rollup contract: a native system contract at
// Address (0x…1002) whose ABI is shipped as abi/rollup.json. It bonds the
// sequencer, keeps a history of recent L1 blocks, accepts the batches the
// rules of rollup/protocol accept, verifies single-round fraud proofs
// against their outputs (challenge), and finalizes them after the
// challenge window. (The withdrawal payouts come with their issue.)
//
// Bond: bond() (payable) is open to the sequencer named in the genesis
// only; submitBatch needs a bond of at least the configured sequencer
// bond. unbond() pays the whole bond back once no batch of the sender is
// within its challenge window: a batch accepted in L1 block A may be
// challenged until block A+W, so unbond succeeds after block A+W.
//
// L1 history (EIP-2935 style): the end-of-block hook of L1 block N records
// block N-1's hash (the block's parent hash; a block cannot know its own)
// and block N's time and base fee, in a ring of HistorySize entries; the
// entry of block n is complete once block n+1 has run. A call in block N
// also knows block N-1's hash (its parent's). Views l1BlockHash(n) and
// l1BlockInfo(n) revert for blocks not kept (N and later, or older than
// HistorySize blocks).
//
// Genesis without circularity: the contract's genesis account is the
// marker code and nonce 1 of every system contract, no storage, so the L1
// genesis hash does not depend on anything the contract computes. Its
// state is initialized at its first use, which is in L1 block 1 (the
// end-of-block hook runs in every block): the L1 genesis hash is block 1's
// parent hash; the L2 genesis hash is rollup/config's L2GenesisBlock over
// the L2 genesis state root (computed by New) with that L1 genesis as its
// origin; the L2 genesis (number 0, that hash, the L1 genesis time, origin
// 0) becomes the last accepted block; the L1 genesis (its time and base
// fee from the genesis) enters the history.
//
// submitBatch(bytes): only the bonded sequencer; at most MaxBatchSize bytes
// (within MaxCallDataSize, which raises the transaction size limit for
// calls to this contract); decoded by rollup/batch with BatchLimits;
// judged by protocol.CheckBatch with the contract's state as context (the
// last accepted block, this L1 block, the history as origin lookup, the
// sequencing window, BatchCaps). A refusal reverts with the reason and
// changes nothing. On acceptance the contract computes each block's
// output root itself (protocol.OutputRoot over the claimed state root,
// the root of the block's withdrawal list and the claimed block hash) and
// its inputs hash, stores the batch's record, moves the last accepted
// block to the batch's last block and emits BatchAccepted. Gas: calldata
// gas is charged by the state transition; the method adds SubmitBatchGas
// and per block, transaction and withdrawal (BatchBlockGas, BatchTxGas,
// BatchWithdrawalGas).
//
// challenge(uint64 l2Block, bytes proof): anyone; proof is an encoded
// protocol.FraudProof (at most protocol.MaxFraudProofSize bytes, so
// MaxCallDataSize is a challenge's calldata for such a proof). The
// verification (DESIGN §7), each failure a revert wrapping
// ErrInvalidChallenge and its own reason, never a verdict:
//
//  1. the proof decodes (ErrProofMalformed) and names l2Block
//     (ErrProofBlock);
//  2. the block is in an accepted batch i (ErrNotChallengeable) that is
//     not final and whose window (until L1 block A+W) is open
//     (ErrBatchFinal);
//  3. its leaf, Leaf(InputsHash(n, time, origin with the hash from the
//     history, txs), OutputRoot(stateRoot, WithdrawalsRoot(withdrawals),
//     blockHash)), is leaf n−first(i) of batch i's root and leaf count
//     (ErrBadPath; caps and decoding: ErrProofMalformed; an origin not in
//     the history: ErrBadOrigin);
//  4. the parent: for block 1 the header must hash to the L2 genesis
//     (and hold the genesis state root); above, the header (committing to
//     its extras) must have number n−1 (ErrBadParent) and its leaf,
//     Leaf(ParentInputsHash, OutputRoot(header.Root,
//     ParentWithdrawalsRoot, hash(header))), must be in the parent's batch
//     (ErrBadParentPath);
//  5. the origin is the parent's or the next (ErrBadOrigin); if it
//     advances, the origin's operations are read from the bridge's
//     storage;
//  6. the block is re-executed statelessly from the witness on the
//     parent's state root with exactly the sequencer's state transition:
//     header execution.NextL2Header(parent, time), extras {origin, its
//     base fee from the history, operations}, ApplyBlock under
//     SkipInvalid with no L2 system contract, execution.SealL2Block. A
//     missing node is ErrWitnessIncomplete; any other failure
//     ErrNotExecutable.
//
// The computed output is OutputRoot(root, WithdrawalsRoot(nil), hash): the
// L2 initiates no withdrawals yet. Equal to the posted one: the challenge
// reverts with ErrOutputCorrect. Different: in the same transaction batch
// i keeps its blocks before n (its root and leaf count stay, so paths of
// the kept blocks still verify; it is deleted if none is left), every
// later batch is deleted (the batch count drops; records past it are dead
// and overwritten when an index is reused), the parent becomes the last
// accepted block, the sequencer's whole bond is split — half (rounded
// down) to the sender, the rest burned — so submitBatch refuses until it
// re-bonds; the dispute is recorded and Challenged emitted. Gas: calldata
// gas plus ChallengeGas, whatever the outcome.
//
// Finalization: the end-of-block hook of block N marks final, in order,
// the batches accepted in blocks A with A+W ≤ N (final at the first block
// at or after A+W), at most MaxFinalizePerBlock per block, emitting
// BatchFinalized.
//
// Storage layout (slots of the contract's account, Solidity-style; uint64
// fields packed from the low-order end of a word):
//
//	0  bytes32 l1Genesis        the L1 genesis hash; zero until initialized
//	1  bytes32 l2Genesis        the L2 genesis hash
//	2  lastAccepted             number | time << 64 | origin << 128
//	3  bytes32 lastAcceptedHash
//	4  uint64 batchCount
//	5  uint64 finalizedBatchCount  batches [0, this) are final
//	6  mapping(address => uint256) bond
//	7  mapping(address => uint64) lastBatchL1Block  the L1 block of the account's last accepted batch
//	8  mapping(uint64 index => Batch)  p = keccak256(pad32(index) ‖ pad32(8))
//	     p+0  firstBlock | blockCount << 64 | l1Block << 128 | leafCount << 192
//	          (blockCount: the blocks that stand; leafCount: the leaves under
//	          root, written only once a challenge truncated the batch, 0 before)
//	     p+1  bytes32 root             Merkle root over (inputs hash, output root) leaves
//	     p+2  uint64 withdrawalCount   withdrawals the batch's blocks initiated
//	     p+3  bytes32 withdrawalsRoot  protocol.WithdrawalsRoot of them all, in order (zero if none)
//	9  mapping(uint64 n % HistorySize => L1Block)  q = keccak256(pad32(n % HistorySize) ‖ pad32(9))
//	     q+0  bytes32 hash
//	     q+1  number | time << 64 | 1 << 128 (written)
//	     q+2  uint256 baseFee
//	10 uint64 disputeCount
//	11 mapping(uint64 index => Dispute)  d = keccak256(pad32(index) ‖ pad32(11))
//	     d+0  l2Block | batchIndex << 64 | l1Block << 128
//	     d+1  address challenger
//	     d+2..d+5  posted output: output root, state root, withdrawals root, block hash
//	     d+6..d+9  computed output: the same four
//	     d+10 uint256 reward   d+11 uint256 burned
//
// Views of the disputes: disputeCount() and dispute(index), the record of
// successful challenge index.
//
// Go accessors: New and Address for the node; ReadLastAccepted, ReadBatch,
// ReadL1Block, ReadDispute and the other Read functions read a state
// directly (tests, RPC); Pack and Unpack functions serve JSON-RPC clients
// (the sequencer's batcher, the challenger); ParseBatchAccepted,
// ParseBatchFinalized and ParseChallenged decode the logs.
package contract
