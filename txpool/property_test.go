package txpool

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// TestRandomOperationsKeepInvariants drives the pool with random adds,
// replacements and block resets from a fixed seed and checks after each
// step: the indexes agree, the bounds hold, and the executable order keeps
// every sender's nonces consecutive from its state nonce.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	const senders = 6
	kr := newKeyring(t, senders)
	cfg := Config{MaxTxs: 25, MaxBytes: 25 * 120, MaxFuturePerSender: 8, MaxNonceGap: 10, PriceBump: 10}
	p := newPool(kr, cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 600 {
		switch r := rng.IntN(10); {
		case r < 8:
			i := rng.IntN(senders)
			nonce := kr.st.nonces[kr.addr(i)] + uint64(rng.IntN(12))
			_ = p.Add(kr.tx(t, i, nonce, int64(1+rng.IntN(20)), 100))
		default:
			// A block includes a random executable prefix.
			it := p.Executable(gwei)
			for n := rng.IntN(8); n > 0; n-- {
				tx := it.Peek()
				if tx == nil {
					break
				}
				from, _ := types.Sender(signer, tx)
				kr.st.nonces[from] = tx.Nonce() + 1
				it.Shift()
			}
			p.Reset(kr.st, gwei)
		}
		checkInvariants(t, step, p, cfg, kr)
	}
}

func checkInvariants(t *testing.T, step int, p *Pool, cfg Config, kr *keyring) {
	t.Helper()
	p.mu.Lock()
	var count int
	var bytes uint64
	for from, acc := range p.accounts {
		if len(acc.byNonce) == 0 {
			t.Fatalf("step %d: empty account %s kept", step, from)
		}
		for n, e := range acc.byNonce {
			if e.tx.Nonce() != n || p.byHash[e.tx.Hash()] != e {
				t.Fatalf("step %d: indexes disagree", step)
			}
			count++
			bytes += e.size
		}
	}
	if count != len(p.byHash) || bytes != p.bytes {
		t.Fatalf("step %d: count %d/%d bytes %d/%d", step, count, len(p.byHash), bytes, p.bytes)
	}
	if count > cfg.MaxTxs || bytes > cfg.MaxBytes {
		t.Fatalf("step %d: bounds exceeded: %d txs, %d bytes", step, count, bytes)
	}
	// The gap index names exactly the accounts that are not executable,
	// and the tip floor is at most every pooled effective tip.
	for from, acc := range p.accounts {
		_, marked := p.gapped[from]
		if stuck := !executable(acc, sortedNonces(acc)); stuck != marked {
			t.Fatalf("step %d: account %s stuck %v, gap index says %v", step, from, stuck, marked)
		}
	}
	for from := range p.gapped {
		if _, ok := p.accounts[from]; !ok {
			t.Fatalf("step %d: gap index names %s, which has nothing pooled", step, from)
		}
	}
	floor := p.tipFloor()
	for _, e := range p.byHash {
		if effectiveTip(e, p.baseFee).Cmp(floor) < 0 {
			t.Fatalf("step %d: tip floor %s above a pooled tip %s", step, floor, effectiveTip(e, p.baseFee))
		}
	}
	p.mu.Unlock()
	next := map[common.Address]uint64{}
	for _, tx := range drain(p.Executable(big.NewInt(1))) {
		from, _ := types.Sender(signer, tx)
		want, ok := next[from]
		if !ok {
			want = kr.st.nonces[from]
		}
		if tx.Nonce() != want {
			t.Fatalf("step %d: sender %s offered nonce %d, want %d", step, from, tx.Nonce(), want)
		}
		next[from] = want + 1
	}
}
