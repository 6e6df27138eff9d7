package signer

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func testKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte("signer test key")))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func req(h uint64, r int32, s Step, value string) Request {
	return Request{Height: h, Round: r, Step: s, Digest: crypto.Keccak256Hash([]byte(value))}
}

func mustSign(t *testing.T, s *Signer, rq Request) []byte {
	t.Helper()
	sig, err := s.Sign(rq)
	if err != nil {
		t.Fatalf("sign %+v: %v", rq, err)
	}
	return sig
}

func TestSignatureRecoversToKey(t *testing.T) {
	key := testKey(t)
	s, err := New(key, NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	rq := req(1, 0, StepPrevote, "a")
	sig := mustSign(t, s, rq)
	pub, err := crypto.SigToPub(rq.Digest[:], sig)
	if err != nil {
		t.Fatal(err)
	}
	if crypto.PubkeyToAddress(*pub) != crypto.PubkeyToAddress(key.PublicKey) {
		t.Fatal("signature does not recover to the signer's address")
	}
}

func TestSignOrderAdvances(t *testing.T) {
	s, _ := New(testKey(t), NewMemStore())
	for _, rq := range []Request{
		req(1, 0, StepPropose, "a"), req(1, 0, StepPrevote, "a"), req(1, 0, StepPrecommit, "a"),
		req(1, 1, StepPrevote, "nil"), req(2, 0, StepPropose, "b"),
	} {
		mustSign(t, s, rq)
	}
}

func TestSignRefusesRegression(t *testing.T) {
	s, _ := New(testKey(t), NewMemStore())
	mustSign(t, s, req(5, 3, StepPrevote, "a"))
	for name, rq := range map[string]Request{
		"lower height": req(4, 9, StepPrecommit, "a"),
		"lower round":  req(5, 2, StepPrecommit, "a"),
		"lower step":   req(5, 3, StepPropose, "a"),
	} {
		if _, err := s.Sign(rq); !errors.Is(err, ErrRegression) {
			t.Errorf("%s: got %v, want ErrRegression", name, err)
		}
	}
}

func TestSignSameRequestReturnsSameSignature(t *testing.T) {
	s, _ := New(testKey(t), NewMemStore())
	first := mustSign(t, s, req(1, 0, StepPrevote, "a"))
	again := mustSign(t, s, req(1, 0, StepPrevote, "a"))
	if !bytes.Equal(first, again) {
		t.Fatal("identical request got a different signature")
	}
}

func TestSignRefusesConflict(t *testing.T) {
	s, _ := New(testKey(t), NewMemStore())
	mustSign(t, s, req(1, 0, StepPrevote, "a"))
	if _, err := s.Sign(req(1, 0, StepPrevote, "b")); !errors.Is(err, ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
}

func TestSignRejectsMalformed(t *testing.T) {
	s, _ := New(testKey(t), NewMemStore())
	for _, rq := range []Request{req(1, 0, 0, "a"), req(1, 0, 4, "a"), req(1, -1, StepPrevote, "a")} {
		if _, err := s.Sign(rq); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%+v: got %v, want ErrBadRequest", rq, err)
		}
	}
}

// TestCrashAtEveryPoint crashes the node around the signing of one prevote —
// before the save, after the save but before Sign returns, and after Sign
// returned — restarts a signer from exactly what the store holds, and checks
// what it may sign next: never a conflicting value once the record may have
// left the node, and always the identical signature for the identical request.
func TestCrashAtEveryPoint(t *testing.T) {
	key := testKey(t)
	orig := req(7, 2, StepPrevote, "block A")
	conflict := req(7, 2, StepPrevote, "nil")
	for _, tc := range []struct {
		name            string
		crash           CrashPoint
		signed          bool // Sign returned the signature before the crash
		mayConflictNext bool // nothing was persisted, so nothing can have left
	}{
		{"before persist", CrashBeforeSave, false, true},
		{"after persist before return", CrashAfterSave, false, false},
		{"after return", NoCrash, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := NewMemStore()
			s, _ := New(key, store)
			mustSign(t, s, req(7, 1, StepPrecommit, "earlier"))
			store.Crash(tc.crash)
			sig, err := s.Sign(orig)
			if tc.signed != (err == nil) {
				t.Fatalf("sign before crash: err=%v, want signed=%v", err, tc.signed)
			}
			restarted, err := New(key, store) // the crash: only the store survives
			if err != nil {
				t.Fatal(err)
			}
			if _, err := restarted.Sign(req(7, 1, StepPrevote, "earlier")); !errors.Is(err, ErrRegression) {
				t.Fatalf("regression after restart: got %v", err)
			}
			if tc.mayConflictNext {
				mustSign(t, restarted, conflict)
				return
			}
			if _, err := restarted.Sign(conflict); !errors.Is(err, ErrConflict) {
				t.Fatalf("conflict after restart: got %v, want ErrConflict", err)
			}
			again := mustSign(t, restarted, orig)
			if tc.signed && !bytes.Equal(sig, again) {
				t.Fatal("retry after restart returned a different signature")
			}
			if !bytes.Equal(again, store.state.Signature) {
				t.Fatal("retry did not return the persisted signature")
			}
		})
	}
}

func TestFileStoreRoundTripAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sign_state.json")
	key := testKey(t)
	s, err := New(key, NewFileStore(path))
	if err != nil {
		t.Fatal(err)
	}
	sig := mustSign(t, s, req(3, 0, StepPrecommit, "x"))
	restarted, err := New(key, NewFileStore(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := restarted.Last(); got.Height != 3 || got.Step != StepPrecommit || !bytes.Equal(got.Signature, sig) {
		t.Fatalf("reloaded %+v", got)
	}
	if _, err := restarted.Sign(req(3, 0, StepPrecommit, "y")); !errors.Is(err, ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
	if again := mustSign(t, restarted, req(3, 0, StepPrecommit, "x")); !bytes.Equal(again, sig) {
		t.Fatal("identical request after restart got another signature")
	}
}

// TestFileStoreCrashBeforeRename crashes the Save that writes the file
// whole (the first, here converting a record of the older one-JSON-record
// format) after the temporary file is synced but before it replaces the
// record: the old record must survive whole.
func TestFileStoreCrashBeforeRename(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sign_state.json")
	key := testKey(t)
	older := `{"height":3,"round":0,"step":2,"digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","signature":"AQI="}`
	if err := os.WriteFile(path, []byte(older), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := NewFileStore(path)
	s, err := New(key, fs)
	if err != nil {
		t.Fatal(err)
	}
	fs.beforeRename = func() error { return ErrCrashed }
	if _, err := s.Sign(req(3, 0, StepPrecommit, "x")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("got %v, want the injected crash", err)
	}
	restarted, err := New(key, NewFileStore(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := restarted.Last(); got.Height != 3 || got.Step != StepPrevote {
		t.Fatalf("after crash before rename: %+v, want the prevote record", got)
	}
	mustSign(t, restarted, req(3, 0, StepPrecommit, "nil"))
	again, err := New(key, NewFileStore(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Last(); got.Step != StepPrecommit {
		t.Fatalf("after the converting save: %+v, want the precommit record", got)
	}
}

// TestFileStoreSavesInPlace: after the first Save writes the file, later
// ones overwrite a slot of the same file (no new file, no rename), and each
// restart reads the newest record.
func TestFileStoreSavesInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sign_state.json")
	key := testKey(t)
	s, _ := New(key, NewFileStore(path))
	mustSign(t, s, req(1, 0, StepPrevote, "a"))
	first, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	steps := []Request{req(1, 0, StepPrecommit, "a"), req(2, 0, StepPropose, "b"), req(2, 0, StepPrevote, "b"), req(2, 1, StepPrevote, "nil")}
	for _, rq := range steps {
		sig := mustSign(t, s, rq)
		restarted, err := New(key, NewFileStore(path))
		if err != nil {
			t.Fatal(err)
		}
		if got := restarted.Last(); got.Height != rq.Height || got.Round != rq.Round || got.Step != rq.Step || !bytes.Equal(got.Signature, sig) {
			t.Fatalf("after signing %+v a restart reads %+v", rq, got)
		}
	}
	now, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(first, now) || now.Size() != 2*slotSize {
		t.Fatalf("the record file was replaced or resized (%d bytes): saves after the first must write in place", now.Size())
	}
}

// TestFileStoreTornSlot: a crash while a slot is overwritten leaves it torn;
// a restart reads the other slot's record, which is the newest one whose
// save returned, and signs on from there. With both slots torn the store
// refuses to load rather than forget what was signed.
func TestFileStoreTornSlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sign_state.json")
	key := testKey(t)
	s, _ := New(key, NewFileStore(path))
	mustSign(t, s, req(5, 0, StepPrevote, "a"))   // sequence 1, slot 1
	mustSign(t, s, req(5, 0, StepPrecommit, "a")) // sequence 2, slot 0
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tear := func(slot int) []byte {
		data := bytes.Clone(whole)
		for i := slot*slotSize + 100; i < slot*slotSize+300; i++ {
			data[i] ^= 0x5a
		}
		return data
	}
	for _, tc := range []struct {
		name string
		data []byte
		want Step
	}{
		{"newest slot torn", tear(0), StepPrevote},
		{"older slot torn", tear(1), StepPrecommit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			restarted, err := New(key, NewFileStore(path))
			if err != nil {
				t.Fatal(err)
			}
			if got := restarted.Last(); got.Height != 5 || got.Step != tc.want {
				t.Fatalf("restart reads %+v, want height 5 step %v", got, tc.want)
			}
			if _, err := restarted.Sign(req(5, 0, tc.want, "b")); !errors.Is(err, ErrConflict) {
				t.Fatalf("conflicting %v after restart: got %v, want ErrConflict", tc.want, err)
			}
			mustSign(t, restarted, req(6, 0, StepPropose, "c"))
			again, err := New(key, NewFileStore(path))
			if err != nil || again.Last().Height != 6 {
				t.Fatalf("after signing on: %+v, %v", again.Last(), err)
			}
		})
	}
	both := tear(0)
	copy(both[slotSize:], tear(1)[slotSize:])
	if err := os.WriteFile(path, both, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileStore(path).Load(); err == nil {
		t.Fatal("a file with both slots torn loaded")
	}
}

func TestFileStoreMissingFileIsEmpty(t *testing.T) {
	got, err := NewFileStore(filepath.Join(t.TempDir(), "none.json")).Load()
	if err != nil || got.Height != 0 || got.Signature != nil {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// TestSignerRefusesEverythingAfterAFailedSave: after a failed save the disk
// may hold a newer record than memory, so the same Signer must not sign
// again, not even the identical request, until rebuilt with New. The
// failed save itself is ErrStoreFailed too, so a driver halts at once.
func TestSignerRefusesEverythingAfterAFailedSave(t *testing.T) {
	store := NewMemStore()
	s, _ := New(testKey(t), store)
	store.Crash(CrashAfterSave)
	if _, err := s.Sign(req(1, 0, StepPrevote, "a")); !errors.Is(err, ErrCrashed) || !errors.Is(err, ErrStoreFailed) {
		t.Fatalf("got %v, want the injected failure as ErrStoreFailed (the caller tells a fault from a refusal)", err)
	}
	for _, rq := range []Request{req(1, 0, StepPrevote, "a"), req(1, 0, StepPrevote, "b"), req(2, 0, StepPropose, "c")} {
		if _, err := s.Sign(rq); !errors.Is(err, ErrStoreFailed) {
			t.Fatalf("%+v after a failed save: got %v, want ErrStoreFailed", rq, err)
		}
	}
	rebuilt, _ := New(testKey(t), store)
	if _, err := rebuilt.Sign(req(1, 0, StepPrevote, "b")); !errors.Is(err, ErrConflict) {
		t.Fatalf("rebuilt signer: got %v, want ErrConflict", err)
	}
}
