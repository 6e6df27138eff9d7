package signer

import (
	"errors"
	"slices"
)

// ErrCrashed is returned by MemStore.Save when a crash was injected.
var ErrCrashed = errors.New("signer: injected crash")

// CrashPoint selects where MemStore.Save simulates a crash.
type CrashPoint uint8

// Crash points of MemStore.Save.
const (
	NoCrash         CrashPoint = iota
	CrashBeforeSave            // nothing is stored, Save fails
	CrashAfterSave             // the record is stored, but Save fails: the signature never leaves
)

// MemStore is an in-memory StateStore for simulations: what it holds is
// exactly what a disk would hold after a crash. Crash injects one crash into
// the next Save.
type MemStore struct {
	state LastSign
	crash CrashPoint
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{} }

// Load returns the stored record.
func (m *MemStore) Load() (LastSign, error) {
	st := m.state
	st.Signature = slices.Clone(st.Signature)
	return st, nil
}

// Save stores ls, unless a crash was injected with Crash.
func (m *MemStore) Save(ls LastSign) error {
	point := m.crash
	m.crash = NoCrash
	if point == CrashBeforeSave {
		return ErrCrashed
	}
	ls.Signature = slices.Clone(ls.Signature)
	m.state = ls
	if point == CrashAfterSave {
		return ErrCrashed
	}
	return nil
}

// Crash makes the next Save fail at point.
func (m *MemStore) Crash(point CrashPoint) { m.crash = point }
