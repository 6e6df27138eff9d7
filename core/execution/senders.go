package execution

import (
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/core/types"
)

// minSendersPerWorker is the fewest transactions worth a goroutine of
// RecoverSenders: below it, starting one costs more than it saves.
const minSendersPerWorker = 16

// RecoverSenders recovers the senders of txs with signer on up to workers
// goroutines (one by one on this one if workers, or the transactions per
// worker, are too few), leaving each in its transaction's sender cache, so
// that executing them one after the other finds them there. A block whose
// transactions were decoded afresh (a fraud proof's disputed block, an L2
// block derived from a batch, a proposal's transactions no pool held)
// otherwise spends a signature recovery per transaction on one core: 45 of
// the 95 ms the L1 took to verify a fraud proof against a 1,000-transfer
// block. The result is the same however many workers: a sender depends
// only on its transaction.
func RecoverSenders(signer types.Signer, txs []*types.Transaction, workers int) {
	workers = min(workers, len(txs)/minSendersPerWorker)
	if workers < 2 {
		for _, tx := range txs {
			cacheSender(signer, tx)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(txs) {
					return
				}
				cacheSender(signer, txs[i])
			}
		})
	}
	wg.Wait()
}

// cacheSender recovers tx's sender into its cache. A transaction whose
// signature does not recover is refused with that error when it executes
// (CheckTx recovers it again); here it is only left uncached. So is one
// whose recovery panics: txs may come from an adversary (a fraud proof),
// and a panic on this goroutine would end the process, where the same
// panic met while executing is contained by the caller (a system
// contract's handler recovers its panics).
func cacheSender(signer types.Signer, tx *types.Transaction) {
	defer func() { _ = recover() }()
	_, _ = types.Sender(signer, tx)
}
