package signer

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/crypto"
)

// Step orders the messages of one round: a validator signs at most one
// message per (height, round, step), and never goes back to an earlier one.
type Step uint8

// The signable steps, in order. They match consensus.Step.
const (
	StepPropose   Step = 1
	StepPrevote   Step = 2
	StepPrecommit Step = 3
)

// Errors returned by Sign. Both mean "do not sign": the caller drops the
// message, it never retries with other contents.
var (
	ErrRegression = errors.New("signer: height/round/step regression")
	ErrConflict   = errors.New("signer: conflicting request at an already signed height/round/step")
	ErrBadRequest = errors.New("signer: malformed request")
	// ErrStoreFailed is returned when a save fails (wrapping the store's
	// error) and for every request after it: the disk may hold a newer
	// record than memory, so the signer refuses everything until it is
	// rebuilt with New, which reloads the record. Unlike ErrRegression and
	// ErrConflict it is not a refusal to double sign but a fault: the
	// validator can no longer vote.
	ErrStoreFailed = errors.New("signer: sign state could not be saved; restart the signer")
)

// Request is one thing to sign: its position (height, round, step) and the
// 32-byte digest of its canonical sign-bytes.
type Request struct {
	Height uint64
	Round  int32
	Step   Step
	Digest [32]byte
}

// LastSign is the persisted record of the last signature: where, what and
// the signature itself. The zero value means nothing was ever signed.
type LastSign struct {
	Height    uint64
	Round     int32
	Step      Step
	Digest    [32]byte
	Signature []byte
}

// StateStore persists LastSign. Save must be durable (synced) before it
// returns nil; after a crash, Load returns the last saved value or, if Save
// never completed, the one before it — never a mix.
type StateStore interface {
	Load() (LastSign, error)
	Save(LastSign) error
}

// Signer signs consensus messages with one validator key and refuses to
// double sign, even across crashes.
type Signer struct {
	mu    sync.Mutex
	key   *ecdsa.PrivateKey
	store StateStore
	last  LastSign
	// failed is set when a save failed; see ErrStoreFailed.
	failed bool
}

// New returns a signer for key that guards with the state in store.
func New(key *ecdsa.PrivateKey, store StateStore) (*Signer, error) {
	last, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("load last sign state: %w", err)
	}
	return &Signer{key: key, store: store, last: last}, nil
}

// Last returns the last signature record.
func (s *Signer) Last() LastSign {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Sign returns the 65-byte [R||S||V] signature of req.Digest if signing it
// cannot be a double sign:
//   - a request below the last signed height/round/step is refused (ErrRegression);
//   - at the same height/round/step, the same digest gets the same signature
//     back (the crash-after-persist case) and any other digest is refused
//     (ErrConflict);
//   - a request above is signed, and the record is saved durably before the
//     signature is returned; if the save fails, no signature is returned and
//     the Signer refuses every later request (both errors are ErrStoreFailed).
func (s *Signer) Sign(req Request) ([]byte, error) {
	if req.Step < StepPropose || req.Step > StepPrecommit || req.Round < 0 {
		return nil, fmt.Errorf("sign h=%d r=%d step=%d: %w", req.Height, req.Round, req.Step, ErrBadRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed {
		return nil, fmt.Errorf("sign h=%d r=%d step=%d: %w", req.Height, req.Round, req.Step, ErrStoreFailed)
	}
	switch cmpHRS(req, s.last) {
	case -1:
		return nil, fmt.Errorf("sign h=%d r=%d step=%d after h=%d r=%d step=%d: %w",
			req.Height, req.Round, req.Step, s.last.Height, s.last.Round, s.last.Step, ErrRegression)
	case 0:
		if req.Digest == s.last.Digest && len(s.last.Signature) > 0 {
			return append([]byte(nil), s.last.Signature...), nil
		}
		return nil, fmt.Errorf("sign h=%d r=%d step=%d: %w", req.Height, req.Round, req.Step, ErrConflict)
	}
	sig, err := crypto.Sign(req.Digest[:], s.key)
	if err != nil {
		return nil, fmt.Errorf("sign h=%d r=%d step=%d: %w", req.Height, req.Round, req.Step, err)
	}
	next := LastSign{Height: req.Height, Round: req.Round, Step: req.Step, Digest: req.Digest, Signature: sig}
	if err := s.store.Save(next); err != nil {
		s.failed = true
		return nil, fmt.Errorf("persist sign state h=%d r=%d step=%d: %w: %w", req.Height, req.Round, req.Step, ErrStoreFailed, err)
	}
	s.last = next
	return append([]byte(nil), sig...), nil
}

// cmpHRS compares the position of req with last: -1 below, 0 equal, 1 above.
func cmpHRS(req Request, last LastSign) int {
	switch {
	case req.Height != last.Height:
		return cmp(req.Height < last.Height)
	case req.Round != last.Round:
		return cmp(req.Round < last.Round)
	case req.Step != last.Step:
		return cmp(req.Step < last.Step)
	}
	return 0
}

func cmp(less bool) int {
	if less {
		return -1
	}
	return 1
}
