package signer

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
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

// TestFileStoreCrashBeforeRename crashes Save after the temporary file is
// synced but before it replaces the record: the old record must survive whole.
func TestFileStoreCrashBeforeRename(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sign_state.json")
	key := testKey(t)
	fs := NewFileStore(path)
	s, _ := New(key, fs)
	mustSign(t, s, req(3, 0, StepPrevote, "x"))
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
