package watch

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Bounds on what a State remembers, so a long-running devnet does not
// grow it: beyond them the oldest entries are dropped (the lines they
// would have given are not printed).
const (
	maxBatches     = 1024
	maxOps         = 256
	maxWithdrawals = 1024
	maxBusy        = 4096
)

// MaxDescribed is how many transactions of a block an event line names one
// by one; a block with more gets a count.
const MaxDescribed = 3

// rpcFailsToReport is how many unanswered polls in a row make an RPC
// "not answering".
const rpcFailsToReport = 3

// minStall is the shortest L1 silence reported as a stall.
const minStall = 5 * time.Second

// NewState returns the State before the first poll.
func NewState() State {
	return State{Batches: map[uint64]Batch{}, Ops: map[block.OperationID]PendingOp{},
		Withdrawals: map[uint64]PendingWithdrawal{}, Busy: map[uint64]Activity{}, Down: map[string]bool{}}
}

// clone returns a copy of s that shares nothing mutable with it.
func (s State) clone() State {
	c := s
	c.Batches = cloneMap(s.Batches)
	c.Ops = cloneMap(s.Ops)
	c.Withdrawals = cloneMap(s.Withdrawals)
	c.Busy = cloneMap(s.Busy)
	c.Down = cloneMap(s.Down)
	if s.Verifier != nil {
		v := *s.Verifier
		c.Verifier = &v
	}
	return c
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return maps.Clone(m)
}

// Step derives, from what the watcher knew (prev) and what a poll saw
// (obs), the lines to print and what the watcher knows next. It is pure:
// prev is not changed, and time is obs.Now.
func Step(cfg Config, prev State, obs Observation) (State, []Event) {
	s := prev.clone()
	st := &stepper{cfg: cfg, s: &s, now: obs.Now}
	st.exits(obs.Exits)
	st.validators(obs.Validators, obs.ValidatorSet)
	// The L2 before the L1: a batch the L1 accepted counts the
	// transactions of L2 blocks read in the same poll.
	st.l2(obs.L2, obs.L2Failed)
	st.l1(obs.L1, obs.L1Failed)
	st.challenger(obs.Challenger, obs.ChFailed)
	if obs.FirstL2 != nil && !s.FirstL2Done {
		s.FirstL2Done = true
		st.firstL2(*obs.FirstL2)
	}
	st.prune()
	return s, st.events
}

// stepper holds one Step's work in progress.
type stepper struct {
	cfg    Config
	s      *State
	now    time.Time
	events []Event
}

func (st *stepper) emit(kind Kind, alert bool, format string, args ...any) {
	st.events = append(st.events, Event{Kind: kind, Alert: alert, Text: fmt.Sprintf(format, args...)})
}

// exits reports the nodes that exited.
func (st *stepper) exits(exits []Exit) {
	for _, e := range exits {
		if st.s.Down[e.Name] {
			continue
		}
		st.s.Down[e.Name] = true
		how := e.Err
		if how == "" {
			how = "exit status 0"
		}
		note := ""
		switch {
		case st.cfg.Sequencer != nil && e.Name == st.cfg.Sequencer.Name:
			note = " The L2 is down: its RPC does not answer, deposits wait on the L1."
		case st.cfg.Challenger != nil && e.Name == st.cfg.Challenger.Name:
			note = " Nothing verifies the posted outputs now."
		}
		alive := max(st.cfg.nodeCount()-len(st.s.Down), 0)
		st.emit(KindNode, true, "%s EXITED (%s) and is not restarted.%s %d of %d nodes still run.",
			e.Name, how, note, alive, st.cfg.nodeCount())
	}
}

// l2 takes in the sequencer's heads, new blocks, withdrawals and the
// operations it applied.
func (st *stepper) l2(o *L2Obs, failed bool) {
	s := st.s
	if o == nil {
		if failed && st.cfg.Sequencer != nil {
			s.L2Fails++
			if s.L2Fails >= rpcFailsToReport && !s.L2Down && !s.Down[st.cfg.Sequencer.Name] {
				s.L2Down = true
				st.emit(KindNode, true, "the sequencer's L2 RPC (%s) does not answer", st.cfg.Sequencer.RPC)
			}
		}
		return
	}
	s.L2Fails = 0
	if s.L2Down {
		s.L2Down = false
		st.emit(KindNode, false, "the sequencer's L2 RPC answers again")
	}
	for _, op := range o.Ops {
		st.opStatus(op)
	}
	if !s.L2Seen {
		s.L2Seen, s.L2, s.L2Next = true, o.Heads, o.Heads.Unsafe+1
		return
	}
	if o.Heads.Unsafe < s.L2.Unsafe {
		st.emit(KindL2, true, "the L2 head went back from block %d to %d: the sequencer rebuilds from the last valid output",
			s.L2.Unsafe, o.Heads.Unsafe)
		if s.L2Next > o.Heads.Unsafe+1 {
			s.L2Next, s.L2Last = o.Heads.Unsafe+1, common.Hash{}
		}
		for k := range s.Busy {
			if k > o.Heads.Unsafe {
				delete(s.Busy, k)
			}
		}
	}
	s.L2 = o.Heads
	// Blocks read from another cursor than the current one (a dispute or
	// a rollback moved it in this Step) are read again next time.
	if len(o.Blocks) > 0 && o.Blocks[0].Number == s.L2Next {
		if s.L2Last != (common.Hash{}) && o.Blocks[0].Parent != s.L2Last {
			st.emit(KindL2, true, "L2 block %d replaced the one seen before: the sequencer rebuilt its chain", o.Blocks[0].Number)
		}
		known := reportedTxs(o.Logs)
		for _, b := range o.Blocks {
			if n := len(b.TxHashes); n > 0 {
				st.busy(b.Number, Activity{Txs: n})
			}
		}
		st.txLine(KindL2, "L2", o.Blocks, known)
		for i := range o.Logs {
			st.l2Log(&o.Logs[i])
		}
		last := o.Blocks[len(o.Blocks)-1]
		s.L2Next, s.L2Last = last.Number+1, last.Hash
	}
}

// l2Log interprets a withdrawal queue log.
func (st *stepper) l2Log(l *types.Log) {
	w, err := withdrawalqueue.ParseInitiated(l)
	if err != nil {
		return
	}
	if len(st.s.Withdrawals) < maxWithdrawals {
		st.s.Withdrawals[w.Nonce] = PendingWithdrawal{L2Block: l.BlockNumber, To: w.To, Amount: w.Amount, SeenAt: st.now}
	}
	st.emit(KindWithdrawal, false, "withdrawal #%d requested in L2 block %d: %s from %s to %s on the L1; the L1 pays it once its batch is final (%s after it is posted)",
		w.Nonce, l.BlockNumber, ether(w.Amount), shortAddr(w.From), shortAddr(w.To), about(st.windowDuration()))
}

// opStatus reports an L1 operation the L2 applied.
func (st *stepper) opStatus(o OpStatus) {
	p, ok := st.s.Ops[o.ID]
	if !ok {
		return
	}
	switch o.Status {
	case "applied":
		delete(st.s.Ops, o.ID)
		verb, act := "credited", Activity{Deposits: 1}
		if p.Op.Kind != block.OpDeposit {
			verb, act = "applied", Activity{Forced: 1}
		}
		st.busy(o.L2Block, act)
		st.emit(KindDeposit, false, "%s %s %s in L2 block %d (%s after it showed on the L1)",
			opKindName(p.Op.Kind), opID(o.ID), verb, o.L2Block, roundDuration(st.now.Sub(p.SeenAt)))
	case "failed":
		delete(st.s.Ops, o.ID)
		st.emit(KindDeposit, true, "%s %s failed in L2 block %d: %s (nothing moved)",
			opKindName(p.Op.Kind), opID(o.ID), o.L2Block, o.Reason)
	}
}

// busy adds a to the activity of L2 block number.
func (st *stepper) busy(number uint64, a Activity) {
	if _, ok := st.s.Busy[number]; !ok && len(st.s.Busy) >= maxBusy {
		delete(st.s.Busy, slices.Min(slices.Collect(maps.Keys(st.s.Busy))))
	}
	st.s.Busy[number] = st.s.Busy[number].add(a)
}

// challenger takes in the challenger's verification.
func (st *stepper) challenger(v *Verification, failed bool) {
	s := st.s
	if v == nil {
		if failed && st.cfg.Challenger != nil {
			s.ChFails++
			if s.ChFails >= rpcFailsToReport && !s.ChDown && !s.Down[st.cfg.Challenger.Name] {
				s.ChDown = true
				st.emit(KindNode, true, "the challenger's RPC (%s) does not answer", st.cfg.Challenger.RPC)
			}
		}
		return
	}
	s.ChFails = 0
	if s.ChDown {
		s.ChDown = false
		st.emit(KindNode, false, "the challenger's RPC answers again")
	}
	prev := s.Verifier
	cur := *v
	s.Verifier = &cur
	switch d := v.Disagreement; {
	case d != nil && (prev == nil || prev.Disagreement == nil || prev.Disagreement.L2Block != d.L2Block):
		fields := ""
		if len(d.Fields) > 0 {
			fields = ", differs in " + strings.Join(d.Fields, ", ")
		}
		st.emit(KindDispute, true, "the challenger DISAGREES with the posted output of L2 block %d (batch %d%s): it challenges it on the L1",
			d.L2Block, d.BatchIndex, fields)
	case d == nil && prev != nil && prev.Disagreement != nil:
		st.emit(KindDispute, false, "the challenger agrees with every posted output again (checked up to L2 block %d)", v.Checked)
	}
}

// firstL2 reports how long the first L2 block took.
func (st *stepper) firstL2(f FirstBlock) {
	what := "the first L2 block"
	if f.Number > 1 {
		what = fmt.Sprintf("the first new L2 block (%d)", f.Number)
	}
	st.emit(KindL2, false, "%s came %s after the devnet started its processes (%s after the sequencer)",
		what, seconds(f.SinceStart), seconds(f.SinceSequencer))
}

// prune drops what is final from the per-block counts.
func (st *stepper) prune() {
	for k := range st.s.Busy {
		if k <= st.s.L2.Finalized {
			delete(st.s.Busy, k)
		}
	}
}

// windowDuration is about how long the challenge window lasts.
func (st *stepper) windowDuration() time.Duration {
	return time.Duration(st.cfg.ChallengeWindow) * st.cfg.L1BlockTime
}

// txLine reports, in one line, the transactions of blocks that no other
// line reports (a batch, a deposit, a withdrawal, a challenge).
func (st *stepper) txLine(kind Kind, layer string, blocks []BlockObs, known map[common.Hash]bool) {
	var with []BlockObs
	total := 0
	for _, b := range blocks {
		if n := countUnknown(b.TxHashes, known); n > 0 {
			with = append(with, b)
			total += n
		}
	}
	if len(with) == 0 {
		return
	}
	where := fmt.Sprintf("%s block %d", layer, with[0].Number)
	if len(with) > 1 {
		where = fmt.Sprintf("%s blocks %d–%d", layer, with[0].Number, with[len(with)-1].Number)
	}
	var descs []string
	if total <= MaxDescribed {
		for _, b := range with {
			for _, h := range b.TxHashes {
				if known[h] {
					continue
				}
				descs = append(descs, describeTx(h, b.Txs))
			}
		}
	}
	text := fmt.Sprintf("%s: %s", where, plural(total, "transaction"))
	if len(with) > 1 {
		text += fmt.Sprintf(" in %d blocks", len(with))
	}
	if len(descs) > 0 {
		text += " (" + strings.Join(descs, "; ") + ")"
	}
	st.emit(kind, false, "%s", text)
}

// countUnknown counts the hashes not in known.
func countUnknown(hashes []common.Hash, known map[common.Hash]bool) int {
	n := 0
	for _, h := range hashes {
		if !known[h] {
			n++
		}
	}
	return n
}

// reportedEvents are the logs that get a line of their own: their
// transactions are left out of the transaction lines.
var reportedEvents = map[common.Hash]bool{
	contract.BatchAcceptedTopic():             true,
	contract.ChallengedTopic():                true,
	bridge.ABI().Events["Deposit"].ID:         true,
	bridge.ABI().Events["ForceWithdrawal"].ID: true,
	bridge.ABI().Events["ForceTransfer"].ID:   true,
	withdrawalqueue.InitiatedTopic():          true,
}

// reportedTxs returns the transactions whose logs get a line of their own.
func reportedTxs(logs []types.Log) map[common.Hash]bool {
	known := map[common.Hash]bool{}
	for _, l := range logs {
		if len(l.Topics) > 0 && reportedEvents[l.Topics[0]] && l.TxHash != (common.Hash{}) {
			known[l.TxHash] = true
		}
	}
	return known
}

// Describe returns the transactions of b that an event line would name
// one by one (those no other line reports, when there are at most
// MaxDescribed of them), so the poller fetches only those in full. logs
// are the logs of the blocks read with b.
func Describe(b BlockObs, logs []types.Log) []common.Hash {
	known := reportedTxs(logs)
	var out []common.Hash
	for _, h := range b.TxHashes {
		if !known[h] {
			out = append(out, h)
		}
	}
	if len(out) > MaxDescribed {
		return nil
	}
	return out
}
