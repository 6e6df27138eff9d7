package l2_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/devnet/cluster"
)

// The transfer stream of the kill test.
const (
	// streamSenders development accounts (4 through 8) send in parallel.
	streamSenders = 5
	// streamPerSender transfers each: 300 in all.
	streamPerSender = 60
	// streamInFlight bounds each sender's transactions without a receipt.
	streamInFlight = 8
	// killAfter receipts the sequencer is killed: half-way through.
	killAfter = 150
	// streamTimeout bounds the stream.
	streamTimeout = 45 * time.Second
)

// confirmed is a transaction whose receipt the sequencer returned.
type confirmed struct {
	tx     common.Hash
	number uint64
	block  common.Hash
}

// stream is the kill test's shared record.
type stream struct {
	mu        sync.Mutex
	confirmed []confirmed
	sent      int
	killing   atomic.Bool // set just before the kill: errors after it are expected
	err       error       // the first error not caused by the kill
}

func (s *stream) fail(err error) {
	if s.killing.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *stream) counts() (sent, confirmed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent, len(s.confirmed)
}

// testKillUnderLoad: five accounts stream 300 transfers (each keeping up to
// 8 without a receipt, polling receipts as it goes); once the sequencer
// has returned 150 receipts it is killed with SIGKILL mid-stream and
// restarted on the same data directory. Every transaction whose receipt it
// returned before the kill is still in its chain: its receipt names the
// same block number and hash, and the block at that height has that hash.
// A deposit sent to the L1 while the sequencer is down is applied after the
// restart in the first L2 block whose origin is its L1 block, and the
// restarted sequencer commits a new transfer.
func testKillUnderLoad(t *testing.T, e *env) {
	ctx := testCtx(t, 2*time.Minute)
	client := e.l2()
	f, err := suggestFees(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	recipients := []common.Address{freshAddress(t), freshAddress(t), freshAddress(t)}
	s := &stream{}
	streamCtx, stop := context.WithTimeout(ctx, streamTimeout)
	defer stop()
	var wg sync.WaitGroup
	for i := range streamSenders {
		dev := devAccount(t, 4+i)
		nonce, err := client.PendingNonceAt(ctx, dev.Address)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { s.send(streamCtx, client, e, dev.Key, nonce, f, recipients) })
	}
	waitErr := waitFor(ctx, streamTimeout, func() (bool, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err != nil {
			return true, nil
		}
		return len(s.confirmed) >= killAfter, nil
	})
	sent, got := s.counts()
	s.killing.Store(true)
	killErr := e.seq.Kill()
	stop()
	wg.Wait()
	if s.err != nil {
		t.Fatalf("transfer stream: %v", s.err)
	}
	if waitErr != nil {
		t.Fatalf("%d receipts of %d sent transfers, want %d before the kill: %v", got, sent, killAfter, waitErr)
	}
	if killErr != nil {
		t.Fatal(killErr)
	}
	s.mu.Lock()
	before := append([]confirmed(nil), s.confirmed...)
	sentTotal := s.sent
	s.mu.Unlock()
	t.Logf("killed the sequencer after %d receipts of %d sent transfers", len(before), sentTotal)

	// A deposit made while the sequencer is down is applied after the
	// restart, in the first block whose origin reaches its L1 block.
	depositTo, depositAmount := freshAddress(t), big.NewInt(3_000_000_000_000_000)
	depositTx, err := e.sendDeposit(ctx, devAccount(t, 2), depositTo, depositAmount)
	if err != nil {
		t.Fatal(err)
	}
	op, err := e.depositOp(ctx, depositTx)
	if err != nil {
		t.Fatal(err)
	}

	if err := e.seq.Restart(); err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	client = e.l2()
	var highest uint64
	for _, c := range before {
		highest = max(highest, c.number)
	}
	if head, err := client.BlockNumber(ctx); err != nil || head < highest {
		t.Fatalf("after the restart the L2 head is %d (err %v), below block %d of a returned receipt", head, err, highest)
	}
	for _, c := range before {
		r, err := client.TransactionReceipt(ctx, c.tx)
		if err != nil {
			t.Fatalf("after the restart: receipt of %s (block %d before the kill): %v", c.tx, c.number, err)
		}
		if r.BlockNumber.Uint64() != c.number || r.BlockHash != c.block {
			t.Fatalf("after the restart %s is in block %d %s; before the kill its receipt said %d %s", c.tx, r.BlockNumber, r.BlockHash, c.number, c.block)
		}
		h, err := client.HeaderByNumber(ctx, big64(c.number))
		if err != nil {
			t.Fatal(err)
		}
		if h.Hash() != c.block {
			t.Fatalf("after the restart block %d is %s; before the kill a receipt named %s", c.number, h.Hash(), c.block)
		}
	}
	var st cluster.DepositStatus
	cluster.Await(t, 30*time.Second, func() error {
		var err error
		if st, err = e.seq.DepositStatus(ctx, uint64(op.L1Block), op.Index); err != nil {
			return err
		}
		if st.Status != "applied" || st.L2Block == nil {
			return fmt.Errorf("deposit %d/%d made while the sequencer was down: status %s (L2 origin %d, L1 head %d)",
				op.L1Block, op.Index, st.Status, st.L2Origin, st.L1Head)
		}
		return nil
	})
	n := uint64(*st.L2Block)
	if o, err := e.origins.at(ctx, n); err != nil || uint64(o.Origin.Number) != uint64(op.L1Block) || !o.Advanced {
		t.Fatalf("deposit of L1 block %d applied in L2 block %d with origin %+v (err %v)", op.L1Block, n, o.Origin, err)
	}
	if got, err := e.l2Balance(ctx, depositTo, big64(n)); err != nil || got.Cmp(depositAmount) != 0 {
		t.Fatalf("deposit recipient holds %v (err %v) after block %d, want %s", got, err, n, depositAmount)
	}
	// The restarted sequencer still produces.
	dev := devAccount(t, 9)
	tx, err := transfer(ctx, client, e.l2Signer, dev.Key, recipients[0], big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send after the restart: %v", err)
	}
	r, err := waitReceipt(ctx, client, tx.Hash())
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	t.Logf("%d confirmed transactions kept their blocks (up to %d); a new transfer committed in block %d", len(before), highest, r.BlockNumber)
}

// send streams streamPerSender transfers from key, nonces from nonce,
// keeping at most streamInFlight without a receipt, and records every
// receipt the sequencer returns. It stops at the first error (after the
// kill, every call fails) or when ctx ends.
func (s *stream) send(ctx context.Context, client *ethclient.Client, e *env, key *ecdsa.PrivateKey, nonce uint64, f fees, to []common.Address) {
	from := crypto.PubkeyToAddress(key.PublicKey)
	var pending []common.Hash
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for sent := 0; sent < streamPerSender || len(pending) > 0; {
		for sent < streamPerSender && len(pending) < streamInFlight {
			tx, err := signDynamic(e.l2Signer, key, nonce+uint64(sent), f, 21_000, to[sent%len(to)], big.NewInt(int64(1_000_000+sent)), nil)
			if err != nil {
				s.fail(err)
				return
			}
			if err := client.SendTransaction(ctx, tx); err != nil {
				s.fail(fmt.Errorf("%s: send nonce %d: %w", from, nonce+uint64(sent), err))
				return
			}
			pending = append(pending, tx.Hash())
			sent++
			s.mu.Lock()
			s.sent++
			s.mu.Unlock()
		}
		still := pending[:0]
		for _, h := range pending {
			r, err := client.TransactionReceipt(ctx, h)
			switch {
			case err == nil:
				s.mu.Lock()
				s.confirmed = append(s.confirmed, confirmed{tx: h, number: r.BlockNumber.Uint64(), block: r.BlockHash})
				s.mu.Unlock()
			case isNotFound(err):
				still = append(still, h)
			default:
				if !errors.Is(err, context.Canceled) {
					s.fail(fmt.Errorf("%s: receipt of %s: %w", from, h, err))
				}
				return
			}
		}
		pending = still
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
