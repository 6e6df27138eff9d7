package consensus

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Errors returned by the verification helpers. Callers drop a message that
// fails verification; they never feed it to the Machine.
var (
	ErrBadSignature       = errors.New("consensus: bad signature")
	ErrUnknownValidator   = errors.New("consensus: signer is not in the validator set")
	ErrWrongSigner        = errors.New("consensus: signature does not match the claimed validator")
	ErrInvalidVote        = errors.New("consensus: malformed vote")
	ErrInsufficientPower  = errors.New("consensus: commit carries no more than 2/3 of the stake")
	ErrNotEquivocation    = errors.New("consensus: votes are not an equivocation")
	ErrDuplicateValidator = errors.New("consensus: validator appears twice")
)

// RecoverSigner returns the address whose key produced sig over digest. It
// accepts only canonical (low-s) 65-byte [R||S||V] signatures, so a signed
// message has exactly one valid signature.
func RecoverSigner(digest [32]byte, sig []byte) (common.Address, error) {
	if len(sig) != crypto.SignatureLength {
		return common.Address{}, fmt.Errorf("%w: length %d", ErrBadSignature, len(sig))
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(sig[64], r, s, true) {
		return common.Address{}, fmt.Errorf("%w: values out of range", ErrBadSignature)
	}
	pub, err := crypto.SigToPub(digest[:], sig)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// Verifier checks the signatures of consensus messages of one chain. It
// remembers recovered signers in a bounded cache, so a message gossiped many
// times costs one public-key recovery. A Verifier is not safe for concurrent
// use.
type Verifier struct {
	chainID string
	cache   map[sigKey]common.Address
	limit   int
}

type sigKey struct {
	digest [32]byte
	sig    [crypto.SignatureLength]byte
}

// NewVerifier returns a verifier for chainID that caches up to cacheSize
// recovered signers (0 disables the cache).
func NewVerifier(chainID string, cacheSize int) *Verifier {
	return &Verifier{chainID: chainID, cache: make(map[sigKey]common.Address), limit: cacheSize}
}

// recover is RecoverSigner through the cache.
func (vf *Verifier) recover(digest [32]byte, sig []byte) (common.Address, error) {
	if vf.limit == 0 || len(sig) != crypto.SignatureLength {
		return RecoverSigner(digest, sig)
	}
	k := sigKey{digest: digest}
	copy(k.sig[:], sig)
	if addr, ok := vf.cache[k]; ok {
		return addr, nil
	}
	addr, err := RecoverSigner(digest, sig)
	if err != nil {
		return addr, err
	}
	if len(vf.cache) >= vf.limit {
		clear(vf.cache)
	}
	vf.cache[k] = addr
	return addr, nil
}

// remember records that addr produced sig over digest, a fact the caller
// knows because it signed it. Only tests use it (the simulator signs for every
// node and need not recover what it signed itself).
func (vf *Verifier) remember(digest [32]byte, sig []byte, addr common.Address) {
	if vf.limit == 0 || len(sig) != crypto.SignatureLength || len(vf.cache) >= vf.limit {
		return
	}
	k := sigKey{digest: digest}
	copy(k.sig[:], sig)
	vf.cache[k] = addr
}

// VerifyVote checks a vote with no cache; see Verifier.Vote.
func VerifyVote(chainID string, v Vote, vals *ValidatorSet) error {
	return NewVerifier(chainID, 0).Vote(v, vals)
}

// VerifyProposal checks a proposal with no cache; see Verifier.Proposal.
func VerifyProposal(chainID string, p Proposal, vals *ValidatorSet) error {
	return NewVerifier(chainID, 0).Proposal(p, vals)
}

// VerifyCommit checks a commit certificate with no cache; see Verifier.Commit.
func VerifyCommit(chainID string, c Commit, vals *ValidatorSet) error {
	return NewVerifier(chainID, 0).Commit(c, vals)
}

// VerifyEvidence checks evidence with no cache; see Verifier.Evidence.
func VerifyEvidence(chainID string, ev Evidence, vals *ValidatorSet) error {
	return NewVerifier(chainID, 0).Evidence(ev, vals)
}

// Vote checks that v is well formed and signed by v.Validator, a member of
// vals. It must be called before a vote is fed to the Machine.
func (vf *Verifier) Vote(v Vote, vals *ValidatorSet) error {
	if v.Type != Prevote && v.Type != Precommit {
		return fmt.Errorf("%w: type %d", ErrInvalidVote, v.Type)
	}
	if v.Round < 0 {
		return fmt.Errorf("%w: round %d", ErrInvalidVote, v.Round)
	}
	if _, ok := vals.Power(v.Validator); !ok {
		return fmt.Errorf("verify %s: %w", v, ErrUnknownValidator)
	}
	addr, err := vf.recover(VoteSignBytes(vf.chainID, v), v.Signature)
	if err != nil {
		return fmt.Errorf("verify %s: %w", v, err)
	}
	if addr != v.Validator {
		return fmt.Errorf("verify %s: %w", v, ErrWrongSigner)
	}
	return nil
}

// Proposal checks that p is well formed and signed by p.Proposer, a member
// of vals. Whether p.Proposer is the proposer of the round is checked by the
// Machine.
func (vf *Verifier) Proposal(p Proposal, vals *ValidatorSet) error {
	if p.Round < 0 || p.POLRound < NilRound || p.POLRound >= p.Round || p.BlockID.IsNil() {
		return fmt.Errorf("%w: proposal round %d pol %d", ErrInvalidVote, p.Round, p.POLRound)
	}
	if _, ok := vals.Power(p.Proposer); !ok {
		return fmt.Errorf("verify %s: %w", p, ErrUnknownValidator)
	}
	addr, err := vf.recover(ProposalSignBytes(vf.chainID, p), p.Signature)
	if err != nil {
		return fmt.Errorf("verify %s: %w", p, err)
	}
	if addr != p.Proposer {
		return fmt.Errorf("verify %s: %w", p, ErrWrongSigner)
	}
	return nil
}

// Commit checks a commit certificate: every precommit is for c's height,
// round and block, signed by a distinct member of vals, and together they
// carry more than 2/3 of the total stake.
func (vf *Verifier) Commit(c Commit, vals *ValidatorSet) error {
	if c.BlockID.IsNil() {
		return fmt.Errorf("verify commit h=%d: %w: nil block", c.Height, ErrInvalidVote)
	}
	seen := make(map[common.Address]bool, len(c.Precommits))
	var sum int64
	for _, v := range c.Precommits {
		if v.Type != Precommit || v.Height != c.Height || v.Round != c.Round || v.BlockID != c.BlockID {
			return fmt.Errorf("verify commit h=%d: %w: %s", c.Height, ErrInvalidVote, v)
		}
		if seen[v.Validator] {
			return fmt.Errorf("verify commit h=%d: %w", c.Height, ErrDuplicateValidator)
		}
		seen[v.Validator] = true
		if err := vf.Vote(v, vals); err != nil {
			return fmt.Errorf("verify commit h=%d: %w", c.Height, err)
		}
		p, _ := vals.Power(v.Validator)
		sum += p
	}
	if !twoThirds.reached(sum, vals.TotalPower()) {
		return fmt.Errorf("verify commit h=%d: %w (%d of %d)", c.Height, ErrInsufficientPower, sum, vals.TotalPower())
	}
	return nil
}

// Evidence checks that ev holds two validly signed votes by one member of
// vals for the same height, round and type, and different values.
func (vf *Verifier) Evidence(ev Evidence, vals *ValidatorSet) error {
	a, b := ev.A, ev.B
	if a.Validator != b.Validator || a.Type != b.Type || a.Height != b.Height || a.Round != b.Round || a.BlockID == b.BlockID {
		return fmt.Errorf("verify %s: %w", ev, ErrNotEquivocation)
	}
	if err := vf.Vote(a, vals); err != nil {
		return fmt.Errorf("verify evidence vote A: %w", err)
	}
	if err := vf.Vote(b, vals); err != nil {
		return fmt.Errorf("verify evidence vote B: %w", err)
	}
	return nil
}
