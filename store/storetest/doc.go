// Package storetest is the conformance suite every store.Store backend
// passes: TestStore(t, open) runs subtests for reads and writes, the
// not-found and closed sentinels, key limits, 4 MiB values, copy semantics
// (no aliasing), prefix iteration order and bounds (including 0xff and empty
// prefixes), snapshot iterators under concurrent writes, batch atomicity,
// operation order, range deletion, replay, reuse after Reset, and closing
// with open iterators. A backend's test calls it with a function that opens
// a fresh store.
package storetest
