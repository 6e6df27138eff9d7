package storetest

import (
	"testing"

	"github.com/bilayer/bilayer/store"
)

// Opener opens a fresh, empty store for one subtest. It may register
// t.Cleanup to close it; Close is idempotent, so tests may close it first.
type Opener func(t *testing.T) store.Store

// TestStore runs the conformance suite against the backend that open
// returns. Every subtest opens its own store.
func TestStore(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"GetPutDeleteHas", testGetPutDeleteHas},
		{"NotFoundSentinel", testNotFound},
		{"Overwrite", testOverwrite},
		{"EmptyKeyAndValue", testEmptyKeyAndValue},
		{"KeyTooLong", testKeyTooLong},
		{"LargeValue", testLargeValue},
		{"NoAliasing", testNoAliasing},
		{"ConcurrentReadWrite", testConcurrentReadWrite},
		{"IterateOrderAndBounds", testIterateOrderAndBounds},
		{"IteratePrefixFF", testIteratePrefixFF},
		{"IterateLargeRange", testIterateLargeRange},
		{"IteratorSnapshot", testIteratorSnapshot},
		{"IterateWhileWriting", testIterateWhileWriting},
		{"BatchNotVisibleBeforeCommit", testBatchNotVisibleBeforeCommit},
		{"BatchAtomicVisibility", testBatchAtomicVisibility},
		{"BatchOperationOrder", testBatchOperationOrder},
		{"BatchDeleteRange", testBatchDeleteRange},
		{"BatchLenSize", testBatchLenSize},
		{"BatchReplay", testBatchReplay},
		{"BatchCommittedIsReadOnly", testBatchCommittedIsReadOnly},
		{"BatchResetDiscards", testBatchResetDiscards},
		{"BatchSyncCommit", testBatchSyncCommit},
		{"Closed", testClosed},
		{"CloseReleasesIterators", testCloseReleasesIterators},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}
