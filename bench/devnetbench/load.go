package devnetbench

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// callTimeout bounds each JSON-RPC call of the part.
const callTimeout = 2 * time.Second

// sender sends plain transfers from one key on one layer, with nonces it
// tracks itself.
type sender struct {
	client  *ethclient.Client
	key     *ecdsa.PrivateKey
	from    common.Address
	chainID *big.Int
	signer  types.Signer
	fees    loadgen.Fees
	first   uint64 // the nonce of its first transfer
	nonce   uint64 // the nonce of its next transfer
}

// newSender reads the chain id and key's pending nonce from client.
func newSender(ctx context.Context, client *ethclient.Client, key *ecdsa.PrivateKey) (*sender, error) {
	s := &sender{client: client, key: key, from: crypto.PubkeyToAddress(key.PublicKey), fees: loadgen.DefaultFees()}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var err error
	if s.chainID, err = client.ChainID(cctx); err != nil {
		return nil, fmt.Errorf("chain id: %w", err)
	}
	if s.nonce, err = client.PendingNonceAt(cctx, s.from); err != nil {
		return nil, fmt.Errorf("nonce of %s: %w", s.from, err)
	}
	s.first, s.signer = s.nonce, types.LatestSignerForChainID(s.chainID)
	return s, nil
}

// send signs and sends one transfer of 1 gwei to to; the nonce advances
// only if the node took it.
func (s *sender) send(ctx context.Context, to common.Address) error {
	tx, err := types.SignNewTx(s.key, s.signer, &types.DynamicFeeTx{ChainID: s.chainID, Nonce: s.nonce,
		GasTipCap: s.fees.TipCap, GasFeeCap: s.fees.FeeCap, Gas: 21_000, To: &to, Value: big.NewInt(1e9)})
	if err != nil {
		return fmt.Errorf("sign a transfer: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := s.client.SendTransaction(cctx, tx); err != nil {
		return fmt.Errorf("chain %s: send transfer (nonce %d): %w", s.chainID, s.nonce, err)
	}
	s.nonce++
	return nil
}

// sent is how many transfers the node took.
func (s *sender) sent() int { return int(s.nonce - s.first) }

// included returns how many of the sent transfers are in a block.
func (s *sender) included(ctx context.Context) (int, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	n, err := s.client.NonceAt(cctx, s.from, nil)
	if err != nil {
		return 0, fmt.Errorf("chain %s: nonce of %s: %w", s.chainID, s.from, err)
	}
	return int(min(n, s.nonce) - min(s.first, n)), nil
}

// waitIncluded waits, up to timeout, until every sent transfer is in a
// block, and returns how many are.
func (s *sender) waitIncluded(ctx context.Context, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		n, err := s.included(ctx)
		if err != nil || n >= s.sent() || time.Now().After(deadline) {
			return n, err
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// loadStats counts a light load's refusals.
type loadStats struct {
	errors   int
	firstErr string
}

func (l *loadStats) note(err error) {
	if err == nil {
		return
	}
	if l.errors == 0 {
		l.firstErr = err.Error()
	}
	l.errors++
}

// lightLoad sends rate transfers a second from each sender to
// recipient(i) for d (bounded: at most d × rate ticks); refusals are
// counted, never fatal.
func lightLoad(ctx context.Context, senders []*sender, rate float64, d time.Duration, recipient func(int) common.Address) (loadStats, error) {
	var st loadStats
	ticks := int(d.Seconds() * rate)
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for i := range ticks {
		for _, s := range senders {
			st.note(s.send(ctx, recipient(i)))
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-t.C:
		}
	}
	return st, nil
}
