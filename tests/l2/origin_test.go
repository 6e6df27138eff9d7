package l2_test

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
)

// l2Origin is what an L2 block commits to through its MixDigest, recovered
// from the L1.
type l2Origin struct {
	// Origin is the L1 block the L2 block is anchored to.
	Origin block.L1Ref
	// Advanced says the block moved its origin (by one L1 block).
	Advanced bool
	// Operations are the L1 operations the block applied first (the new
	// origin's, when it advanced).
	Operations []block.Operation
	// Header is the L2 header, as ethclient decodes it.
	Header *types.Header
}

// originTracker recovers the L1 origin of every L2 block without trusting
// the sequencer: walking up from the L2 genesis (whose origin is the L1
// genesis), block n's origin is its parent's or the L1 block after it, and
// exactly one of the two makes keccak(rlp(L2Extras)) equal the header's
// MixDigest, with the L1 block's hash and base fee read from the L1 and,
// when the origin advances, the operations the L1 bridge recorded in it.
type originTracker struct {
	e *env
	// l2 is the L2 node whose blocks are tracked.
	l2 func() *ethclient.Client

	mu        sync.Mutex
	origins   []l2Origin // by L2 number
	l1Headers map[uint64]*types.Header
}

func newOriginTracker(e *env) *originTracker {
	return &originTracker{e: e, l2: e.l2, l1Headers: map[uint64]*types.Header{}}
}

// fork returns a tracker of the blocks of l2, which has the same blocks
// as o's up to n: it starts from o's origins up to n.
func (o *originTracker) fork(ctx context.Context, n uint64, l2 func() *ethclient.Client) (*originTracker, error) {
	if _, err := o.at(ctx, n); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	f := &originTracker{e: o.e, l2: l2, origins: slices.Clone(o.origins[:n+1]), l1Headers: map[uint64]*types.Header{}}
	maps.Copy(f.l1Headers, o.l1Headers)
	return f, nil
}

// at returns the origin of L2 block n.
func (o *originTracker) at(ctx context.Context, n uint64) (l2Origin, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for uint64(len(o.origins)) <= n {
		next, err := o.recover(ctx, uint64(len(o.origins)))
		if err != nil {
			return l2Origin{}, err
		}
		o.origins = append(o.origins, next)
	}
	return o.origins[n], nil
}

// recover finds the origin of L2 block n, whose parent's is known.
func (o *originTracker) recover(ctx context.Context, n uint64) (l2Origin, error) {
	h, err := o.l2().HeaderByNumber(ctx, big64(n))
	if err != nil {
		return l2Origin{}, fmt.Errorf("L2 header %d: %w", n, err)
	}
	if n == 0 {
		ref, err := o.l1Ref(ctx, 0)
		if err != nil {
			return l2Origin{}, err
		}
		if got := (&block.L2Extras{Origin: ref}).Hash(); got != h.MixDigest {
			return l2Origin{}, fmt.Errorf("L2 genesis: mix digest %s, the L1 genesis as origin gives %s", h.MixDigest, got)
		}
		return l2Origin{Origin: ref, Header: h}, nil
	}
	parent := o.origins[n-1].Origin
	stay := block.L2Extras{Origin: parent}
	if stay.Hash() == h.MixDigest {
		return l2Origin{Origin: parent, Header: h}, nil
	}
	ref, err := o.l1Ref(ctx, uint64(parent.Number)+1)
	if err != nil {
		return l2Origin{}, fmt.Errorf("L2 block %d: %w", n, err)
	}
	ops, err := o.operations(ctx, ref.Number)
	if err != nil {
		return l2Origin{}, fmt.Errorf("L2 block %d: %w", n, err)
	}
	advance := block.L2Extras{Origin: ref, Operations: ops}
	if advance.Hash() == h.MixDigest {
		return l2Origin{Origin: ref, Advanced: true, Operations: ops, Header: h}, nil
	}
	return l2Origin{}, fmt.Errorf("L2 block %d: mix digest %s commits neither to its parent's origin, L1 block %d (%s), nor to L1 block %d with its %d bridge operations (%s)",
		n, h.MixDigest, parent.Number, stay.Hash(), ref.Number, len(ops), advance.Hash())
}

// l1Header returns L1 header n, cached.
func (o *originTracker) l1Header(ctx context.Context, n uint64) (*types.Header, error) {
	if h, ok := o.l1Headers[n]; ok {
		return h, nil
	}
	h, err := o.e.l1c().HeaderByNumber(ctx, big64(n))
	if err != nil {
		return nil, fmt.Errorf("L1 header %d: %w", n, err)
	}
	o.l1Headers[n] = h
	return h, nil
}

// l1Ref returns L1 block n as an origin: number, hash, base fee.
func (o *originTracker) l1Ref(ctx context.Context, n uint64) (block.L1Ref, error) {
	h, err := o.l1Header(ctx, n)
	if err != nil {
		return block.L1Ref{}, err
	}
	return block.L1Ref{Number: block.L1Number(n), Hash: h.Hash(), BaseFee: new(big.Int).Set(h.BaseFee)}, nil
}

// operations returns the bridge operations of L1 block n (the bridge's
// operations view at that block).
func (o *originTracker) operations(ctx context.Context, n block.L1Number) ([]block.Operation, error) {
	ret, err := o.e.l1c().CallContract(ctx, ethereum.CallMsg{To: &bridge.Address, Data: bridge.PackOperationsCall(n)}, big64(uint64(n)))
	if err != nil {
		return nil, fmt.Errorf("bridge operations of L1 block %d: %w", n, err)
	}
	ops, err := bridge.UnpackOperations(ret)
	if err != nil {
		return nil, fmt.Errorf("bridge operations of L1 block %d: %w", n, err)
	}
	return ops, nil
}
