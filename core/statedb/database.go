package statedb

import (
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/trie"
)

// cachedDatabase is go-ethereum's Merkle-Patricia state database with its
// trie nodes kept by bilayer: every trie it opens reads through a
// cachedNodeDB, and a commit stages its nodes (pendingStates) and caches
// them (nodeCache) instead of handing them to the trie database, which is
// left with reading nothing but what a DB without a cache reads. The rest
// (iterators, the trie database's accessor) is the MPT database's.
type cachedDatabase struct {
	*state.MPTDatabase
	nodes *cachedNodeDB
	code  *state.CodeDB
}

// newCachedDatabase wraps mpt, whose code is in code and trie nodes on disk,
// with cache and pending.
func newCachedDatabase(mpt *state.MPTDatabase, code *state.CodeDB, disk ethdb.KeyValueReader, cache *nodeCache, pending *pendingStates) *cachedDatabase {
	return &cachedDatabase{MPTDatabase: mpt, nodes: &cachedNodeDB{cache: cache, pending: pending, disk: disk}, code: code}
}

// Reader returns a reader of the state at root: accounts and storage from
// tries opened through the cache, code from the code database.
func (db *cachedDatabase) Reader(root common.Hash) (state.Reader, error) {
	return db.newReader(root)
}

// newReader is Reader with its concrete type.
func (db *cachedDatabase) newReader(root common.Hash) (*trieReader, error) {
	tr, err := trie.NewStateTrie(trie.StateTrieID(root), db.nodes)
	if err != nil {
		return nil, err
	}
	return &trieReader{
		CodeReader: db.code.Reader(), root: root, nodes: db.nodes, accounts: tr,
		storageRoots: make(map[common.Address]common.Hash), storage: make(map[common.Address]*trie.StateTrie),
	}, nil
}

// stateAt opens a StateDB at root whose account trie, when it comes to
// update it (IntermediateRoot), is the one its reader resolved while the
// StateDB executed (readerDatabase): the accounts a block read are then
// found in memory, not looked up and decoded a second time.
func (db *cachedDatabase) stateAt(root common.Hash) (*state.StateDB, error) {
	reader, err := db.newReader(root)
	if err != nil {
		return nil, err
	}
	return state.NewWithReader(root, &readerDatabase{cachedDatabase: db, reader: reader}, reader)
}

// readerDatabase is a cachedDatabase as one StateDB sees it: opening the
// account trie at the StateDB's root takes the trie its reader has resolved
// so far (trieReader.takeAccountTrie). Reads only resolve nodes, never
// change them, so that trie holds the state at root like a freshly opened
// one, with the nodes the StateDB read already decoded. Opening any other
// root (after a commit the StateDB reads its new root) is the
// cachedDatabase's.
type readerDatabase struct {
	*cachedDatabase
	reader *trieReader
}

// OpenTrie opens the account trie at root, taking the reader's when root is
// the reader's.
func (db *readerDatabase) OpenTrie(root common.Hash) (state.Trie, error) {
	if root == db.reader.root {
		return db.reader.takeAccountTrie()
	}
	return db.cachedDatabase.OpenTrie(root)
}

// OpenTrie opens the account trie at root through the cache.
func (db *cachedDatabase) OpenTrie(root common.Hash) (state.Trie, error) {
	tr, err := trie.NewStateTrie(trie.StateTrieID(root), db.nodes)
	if err != nil {
		return nil, err
	}
	return tr, nil
}

// OpenStorageTrie opens address's storage trie at root, in the state at
// stateRoot, through the cache.
func (db *cachedDatabase) OpenStorageTrie(stateRoot common.Hash, address common.Address, root common.Hash, _ state.Trie) (state.Trie, error) {
	tr, err := trie.NewStateTrie(trie.StorageTrieID(stateRoot, crypto.Keccak256Hash(address.Bytes()), root), db.nodes)
	if err != nil {
		return nil, err
	}
	return tr, nil
}

// Commit writes the update's new contract code to disk, stages its trie
// nodes (DB.Flush writes them, DB.Discard drops them) and caches them: they
// are the newest state's.
func (db *cachedDatabase) Commit(update *state.StateUpdate) error {
	if update.Empty() {
		return nil
	}
	if len(update.Codes) > 0 {
		batch := db.code.NewBatchWithSize(len(update.Codes))
		for _, code := range update.Codes {
			batch.Put(code.Hash, code.Blob)
		}
		if err := batch.Commit(); err != nil {
			return fmt.Errorf("write contract code of state %s: %w", update.Root, err)
		}
	}
	db.nodes.pending.stage(update.Root, update.OriginRoot, update.Nodes)
	db.nodes.cache.commit(update.Nodes)
	return nil
}

// trieReader reads the accounts and storage of one state from tries opened
// through the cache, as go-ethereum's own trie reader does from the trie
// database. It is safe for concurrent use.
type trieReader struct {
	*state.CodeReader
	root  common.Hash
	nodes *cachedNodeDB

	mu           sync.Mutex
	accounts     *trie.StateTrie
	storageRoots map[common.Address]common.Hash
	storage      map[common.Address]*trie.StateTrie
}

// Account returns the account at addr, nil if there is none.
func (r *trieReader) Account(addr common.Address) (*types.StateAccount, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.account(addr)
}

// account is Account with r.mu held: it remembers the account's storage
// root for Storage.
func (r *trieReader) account(addr common.Address) (*types.StateAccount, error) {
	acct, err := r.accounts.GetAccount(addr)
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", addr, err)
	}
	if acct == nil {
		r.storageRoots[addr] = types.EmptyRootHash
	} else {
		r.storageRoots[addr] = acct.Root
	}
	return acct, nil
}

// takeAccountTrie returns the account trie with the nodes the reader has
// resolved so far, for the caller to update, and reads on from a fresh trie
// at the same root: the caller's updates never show in what it reads.
func (r *trieReader) takeAccountTrie() (*trie.StateTrie, error) {
	fresh, err := trie.NewStateTrie(trie.StateTrieID(r.root), r.nodes)
	if err != nil {
		return nil, fmt.Errorf("open account trie %s: %w", r.root, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	tr := r.accounts
	r.accounts = fresh
	return tr, nil
}

// Storage returns the value of addr's storage slot, zero if unset.
func (r *trieReader) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tr, ok := r.storage[addr]
	if !ok {
		root, known := r.storageRoots[addr]
		if !known {
			if _, err := r.account(addr); err != nil {
				return common.Hash{}, err
			}
			root = r.storageRoots[addr]
		}
		var err error
		tr, err = trie.NewStateTrie(trie.StorageTrieID(r.root, crypto.Keccak256Hash(addr.Bytes()), root), r.nodes)
		if err != nil {
			return common.Hash{}, fmt.Errorf("open storage of %s: %w", addr, err)
		}
		r.storage[addr] = tr
	}
	enc, err := tr.GetStorage(addr, slot.Bytes())
	if err != nil {
		return common.Hash{}, fmt.Errorf("read storage of %s: %w", addr, err)
	}
	var value common.Hash
	value.SetBytes(enc)
	return value, nil
}
