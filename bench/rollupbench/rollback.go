package rollupbench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bilayer/bilayer/devnet/inproc"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// RollbackRuns is how many times the bad-batch scenario runs; the report
// keeps the median.
const RollbackRuns = 3

// logTail is how many lines of a failed run's logs are printed.
const logTail = 80

// lockedBuffer collects a run's logs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail returns the last n lines.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// measureRollback runs the fraud scenario RollbackRuns times on an
// in-process rollup with the devnet's timing (devnet/inproc: 1 s L1
// blocks, the binaries' polling) — a sequencer posts a wrong state root,
// the challenger proves it — and keeps the median time and number of L1
// blocks from the L1 block that accepted the bad batch to the one whose
// challenge deleted it.
func (r *Report) measureRollback(ctx context.Context, log io.Writer) error {
	o := inproc.DevnetOptions()
	fmt.Fprintf(log, "rollup: bad batch accepted → rollback, %d runs on an in-process rollup (%s L1 blocks)\n", RollbackRuns, o.L1BlockTime)
	var took []time.Duration
	var blocks []uint64
	for i := range RollbackRuns {
		logs := &lockedBuffer{}
		o.Log = logs
		rb, err := inproc.MeasureRollback(ctx, o, sequencer.BadStateRootByte)
		if err != nil {
			fmt.Fprintf(log, "run %d failed; the rollup's last log lines:\n%s\n", i+1, logs.tail(logTail))
			return fmt.Errorf("bad batch → rollback, run %d: %w", i+1, err)
		}
		fmt.Fprintf(log, "  run %d: batch %d accepted in L1 block %d, L2 block %d proven wrong in L1 block %d: %d L1 blocks, %s\n", i+1,
			rb.Accepted.Index, rb.Accepted.L1Block, rb.Dispute.L2Block, rb.Dispute.L1Block, rb.Blocks, rb.Took.Round(time.Millisecond))
		took = append(took, rb.Took)
		blocks = append(blocks, rb.Blocks)
	}
	slices.Sort(took)
	slices.Sort(blocks)
	r.RollbackMs = float64(took[len(took)/2].Microseconds()) / 1000
	r.RollbackL1Blocks = float64(blocks[len(blocks)/2])
	return nil
}

// rollbackRow prints the rollback's row of the markdown table.
func (r *Report) rollbackRow(w io.Writer) {
	o := inproc.DevnetOptions()
	fmt.Fprintf(w, "| bad batch accepted → rollback: its L1 block to the challenge's (median of %d; devnet timing: %s L1 blocks, verifier / agent polling %s / %s) | %.0f ms (%.0f L1 blocks) | < challenge window (%d L1 blocks) %s |\n",
		RollbackRuns, o.L1BlockTime, o.VerifierPoll, o.AgentPoll, r.RollbackMs, r.RollbackL1Blocks, o.ChallengeWindow,
		mark(r.RollbackL1Blocks < float64(o.ChallengeWindow)))
}
