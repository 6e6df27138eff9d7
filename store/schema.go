package store

import "encoding/binary"

// This file is the schema of the L1 node's database: every key the project
// writes is built here. A key is a one-byte prefix (ASCII, for readable
// dumps) followed by fixed-width fields; integers are big-endian so that
// iteration order is numeric order. Values are described next to each key.
// Adding a family: pick an unused prefix byte, add it to prefixes below (a
// test checks that no two families overlap), and document the value.

// Key prefixes. Each names one family of keys.
const (
	// PrefixMeta + name: singleton metadata keys (see the *Key functions
	// without arguments below).
	PrefixMeta byte = 'm'
	// PrefixHeader + height(8): block header at a height of the canonical
	// chain. Value: RLP of the go-ethereum types.Header that core/block
	// builds.
	PrefixHeader byte = 'h'
	// PrefixHeightByHash + hash(32): height of the block with that hash.
	// Value: height as 8 bytes big-endian.
	PrefixHeightByHash byte = 'n'
	// PrefixBody + hash(32): block body (transactions and extras). Value:
	// RLP encoding owned by core/block.
	PrefixBody byte = 'b'
	// PrefixReceipts + hash(32): receipts of the block with that hash.
	// Value: RLP list of consensus-encoded receipts (core owns it).
	PrefixReceipts byte = 'r'
	// PrefixTxLookup + txhash(32): where a transaction is. Value: block
	// height (8 bytes BE) then index in the block (4 bytes BE); see TxLocation.
	PrefixTxLookup byte = 'l'
	// PrefixCommit + height(8): commit certificate (the +2/3 precommits) that
	// finalized the block at height. Value: encoding owned by node/consensus.
	PrefixCommit byte = 'c'
	// PrefixConsensusWAL + height(8) + index(4): the consensus driver's
	// write-ahead log of its own messages, persisted (synced) before they are
	// sent. Value: encoding owned by the node driver. Pruned per height.
	PrefixConsensusWAL byte = 'w'
	// PrefixTrie: namespace of go-ethereum's trie and state data (trie nodes,
	// contract code, preimages), reached through store/ethdbadapter with
	// TrieNamespace(); the keys after it are go-ethereum's rawdb schema.
	PrefixTrie byte = 't'
	// PrefixWithdrawals + hash(32): what an L2 block's execution yields
	// beyond its receipts: the withdrawals it initiated and the L1
	// operations it recorded as failed (absent: none). Value: RLP owned by
	// rollup/l2chain.
	PrefixWithdrawals byte = 'x'
	// PrefixSystemLogs + hash(32): the logs of a block's system work (L1
	// end-of-block hooks, an L2 block's forced operations), which no
	// receipt holds (absent: none). Value: RLP list of consensus-encoded
	// logs (core owns it).
	PrefixSystemLogs byte = 'e'
	// PrefixValidatorSet + height(8): the consensus validator set, with
	// proposer priorities, of a height at which the set changed, so the
	// set of a height is rebuilt from the newest change below it, not from
	// genesis. Value: JSON owned by the node.
	PrefixValidatorSet byte = 'v'
)

// Singleton metadata keys (PrefixMeta + name).
const (
	metaSchemaVersion = "mSchemaVersion"
	metaGenesisHash   = "mGenesisHash"
	metaHeadHeight    = "mHeadHeight"
	metaSignerState   = "mSignerState"
	metaConsensus     = "mConsensusState"
	metaConsBlocks    = "mConsensusBlocks"
	metaDeriveState   = "mDeriveState"
	metaValidatorSets = "mValidatorSets"
)

// SchemaVersion is the version of this schema that WriteSchemaVersion
// records; bump it when a key or value layout changes.
const SchemaVersion uint64 = 1

// prefixes lists every key family, for the overlap test.
func prefixes() []byte {
	return []byte{PrefixMeta, PrefixHeader, PrefixHeightByHash, PrefixBody, PrefixReceipts,
		PrefixTxLookup, PrefixCommit, PrefixConsensusWAL, PrefixTrie, PrefixWithdrawals, PrefixSystemLogs, PrefixValidatorSet}
}

// metaKeys lists every singleton key, for the overlap test.
func metaKeys() []string {
	return []string{metaSchemaVersion, metaGenesisHash, metaHeadHeight, metaSignerState, metaConsensus, metaConsBlocks, metaDeriveState,
		metaValidatorSets}
}

// SchemaVersionKey holds the schema version. Value: 8 bytes BE.
func SchemaVersionKey() []byte { return []byte(metaSchemaVersion) }

// GenesisHashKey holds the hash of the genesis block. Value: 32 bytes.
func GenesisHashKey() []byte { return []byte(metaGenesisHash) }

// HeadHeightKey holds the height of the last committed (finalized) block.
// Value: 8 bytes BE.
func HeadHeightKey() []byte { return []byte(metaHeadHeight) }

// SignerStateKey holds the double-sign guard's last signed
// height/round/step. Value: encoding owned by node/signer. It must be
// written with a synced commit before the signature leaves the process.
func SignerStateKey() []byte { return []byte(metaSignerState) }

// ConsensusStateKey holds the consensus machine's persisted state (its
// height, round, step, lock, valid value and own votes). Value: JSON owned
// by the node driver. It is written with a synced commit before the driver
// signs or sends anything that depends on it.
func ConsensusStateKey() []byte { return []byte(metaConsensus) }

// ConsensusBlocksKey holds the blocks of the consensus machine's locked
// and valid values at its current height, so that a restarted proposer can
// re-propose a value it locked on before the crash. Value: RLP list of
// encoded blocks (the node owns it), written (synced) before the
// consensus state that names them.
func ConsensusBlocksKey() []byte { return []byte(metaConsBlocks) }

// ValidatorSetsKey holds the consensus validator sets, with proposer
// priorities, of the newest height the node computed (the head's next) and
// of the height before it, so a restart needs no replay. Value: JSON owned
// by the node; written unsynced (a lost write is recomputed from blocks).
func ValidatorSetsKey() []byte { return []byte(metaValidatorSets) }

// ValidatorSetKey = PrefixValidatorSet + height(8).
func ValidatorSetKey(height uint64) []byte { return heightKey(PrefixValidatorSet, height) }

// DeriveStateKey holds, in an L2 verifier's database, where derivation
// stands: the next L1 block to read and the derived head. Value: JSON owned
// by rollup/challenger, written (synced) after the L2 blocks it covers.
func DeriveStateKey() []byte { return []byte(metaDeriveState) }

// HeaderKey = PrefixHeader + height(8).
func HeaderKey(height uint64) []byte { return heightKey(PrefixHeader, height) }

// HeightByHashKey = PrefixHeightByHash + hash.
func HeightByHashKey(hash [32]byte) []byte { return hashKey(PrefixHeightByHash, hash) }

// BodyKey = PrefixBody + hash.
func BodyKey(hash [32]byte) []byte { return hashKey(PrefixBody, hash) }

// ReceiptsKey = PrefixReceipts + hash.
func ReceiptsKey(hash [32]byte) []byte { return hashKey(PrefixReceipts, hash) }

// SystemLogsKey = PrefixSystemLogs + hash.
func SystemLogsKey(hash [32]byte) []byte { return hashKey(PrefixSystemLogs, hash) }

// WithdrawalsKey = PrefixWithdrawals + hash.
func WithdrawalsKey(hash [32]byte) []byte { return hashKey(PrefixWithdrawals, hash) }

// TxLookupKey = PrefixTxLookup + txhash.
func TxLookupKey(txHash [32]byte) []byte { return hashKey(PrefixTxLookup, txHash) }

// CommitKey = PrefixCommit + height(8).
func CommitKey(height uint64) []byte { return heightKey(PrefixCommit, height) }

// ConsensusWALKey = PrefixConsensusWAL + height(8) + index(4).
func ConsensusWALKey(height uint64, index uint32) []byte {
	k := make([]byte, 1+8+4)
	k[0] = PrefixConsensusWAL
	binary.BigEndian.PutUint64(k[1:], height)
	binary.BigEndian.PutUint32(k[9:], index)
	return k
}

// ConsensusWALHeightPrefix is the prefix of every WAL entry of one height,
// for iteration and pruning.
func ConsensusWALHeightPrefix(height uint64) []byte { return heightKey(PrefixConsensusWAL, height) }

// TrieNamespace is the prefix under which go-ethereum's state data lives.
func TrieNamespace() []byte { return []byte{PrefixTrie} }

func heightKey(prefix byte, height uint64) []byte {
	k := make([]byte, 1+8)
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], height)
	return k
}

func hashKey(prefix byte, hash [32]byte) []byte {
	k := make([]byte, 1+32)
	k[0] = prefix
	copy(k[1:], hash[:])
	return k
}
