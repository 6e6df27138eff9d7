// Package ethdbadapter makes a store.Store usable as go-ethereum's
// ethdb.KeyValueStore, optionally confined to a key prefix, so the node keeps
// go-ethereum's trie and state data in its own database under
// store.TrieNamespace():
//
//	kv := ethdbadapter.New(db, store.TrieNamespace())
//	tdb := triedb.NewDatabase(rawdb.NewDatabase(kv), &triedb.Config{HashDB: hashdb.Defaults})
//	sdb := state.NewDatabase(tdb, nil)
//
// Keys are stored as prefix+key and stripped again on iteration and replay;
// an unbounded range end becomes the end of the namespace, so nothing
// outside it is ever read or deleted. Writes are unsynced (go-ethereum's
// own pebble backend does the same): a later synced commit on the same store
// makes them durable. Close detaches the view without closing the store.
package ethdbadapter
