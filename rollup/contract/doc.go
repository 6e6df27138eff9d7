// Package contract is the L1 rollup contract: a native system contract at
// Address (0x…1002) whose ABI is shipped as abi/rollup.json. It bonds the
// sequencer (and fallback proposers), keeps a history of recent L1 blocks, accepts the batches the
// rules of rollup/protocol accept, verifies single-round fraud proofs
// against their outputs (challenge), and finalizes them after the
// challenge window, and pays the withdrawals of final batches out of the
// bridge.
//
// Bond: bond() (payable) is open to any account; submitBatch needs a bond
// of at least the configured sequencer bond, whoever posts. unbond() pays
// the whole bond back once no batch of the sender is within its challenge
// window: a batch accepted in L1 block A may be challenged until block
// A+W, so unbond succeeds after block A+W.
//
// Who may post (when the sequencer is gone): the sequencer named in the
// genesis at any time; any other bonded account from L1 block
// fallbackFrom() on, the sequencer timeout (rollup.sequencerTimeout, above
// the sequencing window S) after the newest of the L1 block that accepted
// the last accepted batch, the L1 block of the last successful challenge
// and L1 block 1; before that it reverts with ErrNotSequencer naming the
// block. Each batch posted moves that point on, whoever posted it. Such a
// fallback proposer posts what derivation made: the deposit-only blocks of
// origins whose window closed, which carry the deposits and forced
// operations (CheckBatch accepts nothing else for them), so forced
// withdrawals finalize and are paid without the sequencer. Every batch
// records its poster, and a successful challenge slashes that poster's
// bond, not the sequencer's.
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
// submitBatch(bytes): the bonded sequencer, or after the sequencer timeout
// any bonded account (above); at most MaxBatchSize bytes
// (within MaxCallDataSize, which raises the transaction size limit for
// calls to this contract); decoded by rollup/batch with BatchLimits;
// judged by protocol.CheckBatch with the contract's state as context (the
// last accepted block, this L1 block, the history as origin lookup, the
// sequencing window, BatchCaps). A refusal reverts with the reason and
// changes nothing. The batch's withdrawals must carry the nonces that
// continue the accepted chain's (the L2 numbers them from 0 in the order
// it initiates them; ErrWithdrawalNonce otherwise), so a nonce is a
// withdrawal's place in the accepted chain. On acceptance the contract
// computes each block's output root itself (protocol.OutputRoot over the
// claimed state root, the root of the block's withdrawal list and the
// claimed block hash) and its inputs hash, stores the batch's record and
// each of its withdrawals (under its nonce, with its L2 block) and the
// sender as its poster, moves the
// last accepted block to the batch's last block and emits BatchAccepted.
// Gas: calldata gas is charged by the state transition; the method adds
// SubmitBatchGas and per block, transaction and withdrawal (BatchBlockGas,
// BatchTxGas, BatchWithdrawalGas: the withdrawal's hashing and its three
// stored words).
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
// The computed output is OutputRoot(root, WithdrawalsRoot(ws), hash), ws
// the withdrawals the re-execution initiated (execution.Result.Withdrawals,
// read from the L2 withdrawal queue's logs). Equal to the posted one: the challenge
// reverts with ErrOutputCorrect. Different: in the same transaction batch
// i keeps its blocks before n (its root and leaf count stay, so paths of
// the kept blocks still verify; its withdrawal count drops to those of the
// kept blocks, found by binary search over the stored withdrawals' L2
// blocks; it is deleted if none is left), every
// later batch is deleted (the batch count drops; records past it are dead
// and overwritten when an index is reused), the parent becomes the last
// accepted block, the whole bond of batch i's poster is split — half
// (rounded down) to the sender, the rest burned — so submitBatch refuses
// the poster until it re-bonds; the dispute is recorded (with the poster)
// and Challenged emitted. Gas: calldata
// gas plus ChallengeGas, whatever the outcome.
//
// Finalization: the end-of-block hook of block N marks final, in order,
// the batches accepted in blocks A with A+W ≤ N (final at the first block
// at or after A+W), at most MaxFinalizePerBlock per block, emitting
// BatchFinalized.
//
// Payouts: then the same hook pays the withdrawals of final batches, in
// nonce order, at most MaxPayoutsPerBlock per block (each needs
// MaxPayoutGas of the EndBlockGasBudget; the rest wait for the next
// blocks). The money is in the bridge: each payout is an internal call
// (syscontract.Context.CallContract) to the bridge's payWithdrawal, which
// only this contract may call, moves the bridge's balance and emits
// WithdrawalPaid; the withdrawal's words are then cleared and the cursor
// (the number paid, which is the next nonce to pay) moves past it. The
// cursor only moves forward and a final batch is never deleted, so no
// withdrawal is paid twice: a rollback only deletes withdrawals of batches
// that are not final, and the blocks posted again reuse their nonces with
// their own withdrawals. A withdrawal the bridge cannot cover (its balance
// too low, which the bridge invariant excludes) is not paid, in part or at
// all: payouts halt at it, the first halted block emits
// WithdrawalPayoutHalted (nonce, amount, bridge balance, reason) and every
// block tries again; the hook itself never fails for it. Views:
// paidWithdrawals() (the next nonce to pay) and withdrawalStatus(nonce)
// (unknown, accepted, final or paid, and while stored the withdrawal and
// its L2 block); batchWithdrawals(index) gives a batch's payable count,
// its posted withdrawals' root, its first nonce and its posted count.
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
//	     p+2  withdrawalCount | firstNonce << 64 | postedCount << 128
//	          (withdrawalCount: those of the blocks that stand, nonces firstNonce
//	          on; postedCount: those the batch posted, written only once a
//	          challenge truncated the batch, 0 before)
//	     p+3  bytes32 withdrawalsRoot  protocol.WithdrawalsRoot of the posted ones, in order (zero if none)
//	     p+4  address poster           the sender of submitBatch (zero in records written before
//	          posters were kept: the sequencer)
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
//	     d+10 uint256 reward   d+11 uint256 burned   d+12 address poster (whose bond was slashed)
//	12 payout                   paid | halted << 64  (paid: the withdrawals paid, the next
//	                            nonce to pay; halted: 1 once a halt at that nonce was logged)
//	13 mapping(uint64 nonce => Withdrawal)  w = keccak256(pad32(nonce) ‖ pad32(13))
//	     w+0  from | l2Block << 160   (the L2 block that initiated it, >= 1)
//	     w+1  to | nonce << 160
//	     w+2  uint256 amount
//	     written at acceptance, zeroed when paid; those of a deleted batch stay
//	     unreachable (nonces at or above the accepted count) until the blocks
//	     posted again overwrite them
//
// Views of the disputes: disputeCount() and dispute(index), the record of
// successful challenge index. batch(index) names the batch's poster, and
// fallbackFrom() returns (from, since): the first L1 block in which any
// bonded account may post, and the L1 block the timeout counts from.
//
// Go accessors: New and Address for the node; ReadLastAccepted, ReadBatch,
// ReadL1Block, ReadDispute, ReadWithdrawal, ReadWithdrawalCounts and the
// other Read functions read a state directly (tests, RPC); Pack and Unpack
// functions serve JSON-RPC clients (the sequencer's batcher, the fallback
// proposer, the challenger, rollup_withdrawalStatus); ParseBatchAccepted,
// ParseBatchFinalized, ParseChallenged and ParseWithdrawalPayoutHalted
// decode the logs (bridge.ParseWithdrawalPaid the payouts').
package contract
