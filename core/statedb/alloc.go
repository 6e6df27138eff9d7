package statedb

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
)

// allocBatchBytes is how many bytes of trie nodes and code ApplyAlloc
// gathers before writing them to disk (a variable so that tests can write
// many batches with a small allocation).
var allocBatchBytes = 4 << 20

// ApplyAlloc writes a genesis allocation into an empty state, on disk, and
// returns the state root. A balance that does not fit 256 bits is an error.
// The state is the one a StateDB would commit with Rules() after setting
// each account's balance, nonce, code and storage: an account with no
// balance, nonce or code is empty and left out (EIP-158), with its storage,
// and storage slots holding zero are not stored.
//
// The tries are built with a stack trie, in key order, and each node is
// written out as soon as it is complete, so the allocation is never held as
// state objects and a trie in memory: with 100k accounts the StateDB that
// did this held some 300 MB and, under a devnet validator's memory limit,
// took 9 s of CPU per validator at every start (issue 17's bench
// --l1-prefund).
func (d *DB) ApplyAlloc(alloc map[common.Address]types.Account) (common.Hash, error) {
	batch := d.kv.NewBatch()
	root, err := allocRoot(alloc, batch, d.cacheAllocNode)
	if err != nil {
		return common.Hash{}, fmt.Errorf("apply genesis alloc: %w", err)
	}
	if err := batch.Write(); err != nil {
		return common.Hash{}, fmt.Errorf("apply genesis alloc: write: %w", err)
	}
	return root, nil
}

// AllocRoot returns the state root ApplyAlloc would give alloc, without
// writing anything: a node whose database already holds its genesis uses it
// to check that the genesis file is the same.
func AllocRoot(alloc map[common.Address]types.Account) (common.Hash, error) {
	root, err := allocRoot(alloc, nil, nil)
	if err != nil {
		return common.Hash{}, fmt.Errorf("genesis alloc root: %w", err)
	}
	return root, nil
}

// allocAccount is one account of an allocation, keyed by the hash of its
// address (its position in the state trie).
type allocAccount struct {
	key  common.Hash
	addr common.Address
	acct types.Account
}

// allocCachedDepth is the deepest path (in nibbles) at which ApplyAlloc
// puts the state trie's branch and extension nodes in the node cache: the
// ones nearly every account read walks through (4,369 full branches at
// most, about 2.3 MB).
const allocCachedDepth = 3

// cacheAllocNode puts a node of a genesis state trie in the node cache,
// if the DB has one, when it is the root or a branch or extension node
// within allocCachedDepth of it and fits without evicting anything. The
// leaves enter as they are read, as after any commit once the cache is
// full.
func (d *DB) cacheAllocNode(path []byte, hash common.Hash, blob []byte) {
	if d.nodes == nil || len(path) > allocCachedDepth || (len(path) > 0 && isLeaf(blob)) {
		return
	}
	d.nodes.putIfRoom(common.Hash{}, path, hash, blob)
}

// allocRoot builds alloc's state tries and returns the state root. With a
// batch, every trie node and code blob goes into it, and the batch is
// written out whenever it holds allocBatchBytes; the caller writes the
// rest. onAccountNode, if not nil, is also given each node of the state
// (account) trie.
func allocRoot(alloc map[common.Address]types.Account, batch ethdb.Batch, onAccountNode trie.OnTrieNode) (common.Hash, error) {
	accounts := make([]allocAccount, 0, len(alloc))
	for addr, acct := range alloc {
		// Every balance is checked before anything is written.
		if b := acct.Balance; b != nil && (b.Sign() < 0 || b.BitLen() > 256) {
			return common.Hash{}, fmt.Errorf("balance of %s out of range: %s", addr, b)
		}
		accounts = append(accounts, allocAccount{key: crypto.Keccak256Hash(addr[:]), addr: addr, acct: acct})
	}
	slices.SortFunc(accounts, func(a, b allocAccount) int { return bytes.Compare(a.key[:], b.key[:]) })

	flush := func() error {
		if batch == nil || batch.ValueSize() < allocBatchBytes {
			return nil
		}
		if err := batch.Write(); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		batch.Reset()
		return nil
	}
	var onNode trie.OnTrieNode
	if batch != nil {
		onNode = func(_ []byte, hash common.Hash, blob []byte) { rawdb.WriteLegacyTrieNode(batch, hash, blob) }
	}
	onAccount := onNode
	if onAccountNode != nil {
		onAccount = func(path []byte, hash common.Hash, blob []byte) {
			if onNode != nil {
				onNode(path, hash, blob)
			}
			onAccountNode(path, hash, blob)
		}
	}
	accountTrie := trie.NewStackTrie(onAccount)
	for _, a := range accounts {
		leaf, err := allocAccountLeaf(a, batch, onNode)
		if err != nil {
			return common.Hash{}, err
		}
		if leaf == nil {
			continue // empty: EIP-158 leaves it out
		}
		if err := accountTrie.Update(a.key[:], leaf); err != nil {
			return common.Hash{}, fmt.Errorf("account %s: %w", a.addr, err)
		}
		if err := flush(); err != nil {
			return common.Hash{}, err
		}
	}
	return accountTrie.Hash(), nil
}

// allocAccountLeaf returns the state trie's leaf for one allocated account
// (its RLP-encoded types.StateAccount), building its storage trie and
// putting its code into batch (when there is one), or nil if the account
// is empty.
func allocAccountLeaf(a allocAccount, batch ethdb.Batch, onNode trie.OnTrieNode) ([]byte, error) {
	balance := new(uint256.Int)
	if a.acct.Balance != nil {
		balance = uint256.MustFromBig(a.acct.Balance) // in range: allocRoot checked
	}
	codeHash := types.EmptyCodeHash
	if len(a.acct.Code) > 0 {
		codeHash = crypto.Keccak256Hash(a.acct.Code)
	}
	if a.acct.Nonce == 0 && balance.IsZero() && codeHash == types.EmptyCodeHash {
		return nil, nil
	}
	storageRoot, err := allocStorageRoot(a.acct.Storage, onNode)
	if err != nil {
		return nil, fmt.Errorf("storage of %s: %w", a.addr, err)
	}
	if batch != nil && len(a.acct.Code) > 0 {
		rawdb.WriteCode(batch, codeHash, a.acct.Code)
	}
	leaf, err := rlp.EncodeToBytes(&types.StateAccount{Nonce: a.acct.Nonce, Balance: balance, Root: storageRoot, CodeHash: codeHash[:]})
	if err != nil {
		return nil, fmt.Errorf("encode account %s: %w", a.addr, err)
	}
	return leaf, nil
}

// allocStorageRoot builds one account's storage trie from its allocated
// slots, leaving out those that hold zero, and returns its root.
func allocStorageRoot(storage map[common.Hash]common.Hash, onNode trie.OnTrieNode) (common.Hash, error) {
	type slot struct {
		key   common.Hash
		value []byte
	}
	slots := make([]slot, 0, len(storage))
	for k, v := range storage {
		if v == (common.Hash{}) {
			continue
		}
		enc, err := rlp.EncodeToBytes(common.TrimLeftZeroes(v[:]))
		if err != nil {
			return common.Hash{}, fmt.Errorf("encode slot %s: %w", k, err)
		}
		slots = append(slots, slot{key: crypto.Keccak256Hash(k[:]), value: enc})
	}
	if len(slots) == 0 {
		return types.EmptyRootHash, nil
	}
	slices.SortFunc(slots, func(a, b slot) int { return bytes.Compare(a.key[:], b.key[:]) })
	st := trie.NewStackTrie(onNode)
	for _, s := range slots {
		if err := st.Update(s.key[:], s.value); err != nil {
			return common.Hash{}, err
		}
	}
	return st.Hash(), nil
}
