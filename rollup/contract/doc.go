// Package contract is the L1 rollup contract: a native system contract at
// Address (0x…1002) whose ABI is shipped as abi/rollup.json. It bonds the
// sequencer, keeps a history of recent L1 blocks, accepts the batches the
// rules of rollup/protocol accept, and finalizes them after the challenge
// window. (The fraud-proof verifier, challenge, and the withdrawal payouts
// come with their issues.)
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
// (MaxCallDataSize of calldata, which raises the transaction size limit
// for calls to this contract); decoded by rollup/batch with BatchLimits;
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
//	     p+0  firstBlock | blockCount << 64 | l1Block << 128
//	     p+1  bytes32 root             Merkle root over (inputs hash, output root) leaves
//	     p+2  uint64 withdrawalCount   withdrawals the batch's blocks initiated
//	     p+3  bytes32 withdrawalsRoot  protocol.WithdrawalsRoot of them all, in order (zero if none)
//	9  mapping(uint64 n % HistorySize => L1Block)  q = keccak256(pad32(n % HistorySize) ‖ pad32(9))
//	     q+0  bytes32 hash
//	     q+1  number | time << 64 | 1 << 128 (written)
//	     q+2  uint256 baseFee
//
// Go accessors: New and Address for the node; ReadLastAccepted, ReadBatch,
// ReadL1Block and the other Read functions read a state directly (the
// fraud-proof verifier, tests); Pack and Unpack functions serve JSON-RPC
// clients (the sequencer's batcher, the challenger); ParseBatchAccepted
// and ParseBatchFinalized decode the logs.
package contract
