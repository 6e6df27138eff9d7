package watch

import (
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

var (
	t0    = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	alice = common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
	bob   = common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	eth   = func(tenths int64) *big.Int { return new(big.Int).Mul(big.NewInt(tenths), big.NewInt(1e17)) }
)

// testConfig is a devnet of 4 validators, a sequencer and a challenger,
// with a 30-block challenge window of 1 s blocks.
func testConfig() Config {
	cfg := Config{ChallengeWindow: 30, L1BlockTime: time.Second,
		Sequencer:  &Node{Name: "sequencer", RPC: "http://127.0.0.1:9545"},
		Challenger: &Node{Name: "challenger", RPC: "http://127.0.0.1:9546"}}
	for i := range 4 {
		cfg.Validators = append(cfg.Validators, Node{Name: fmt.Sprintf("validator-%d", i),
			RPC: fmt.Sprintf("http://127.0.0.1:%d", 8545+i), Address: common.BigToAddress(big.NewInt(int64(0x100 + i)))})
	}
	return cfg
}

func validatorSet(cfg Config) []common.Address {
	var out []common.Address
	for _, v := range cfg.Validators {
		out = append(out, v.Address)
	}
	return out
}

func heads(cfg Config, h uint64, skip ...string) []ValidatorObs {
	var out []ValidatorObs
	for _, v := range cfg.Validators {
		ok := true
		for _, s := range skip {
			ok = ok && s != v.Name
		}
		out = append(out, ValidatorObs{Name: v.Name, Head: h, OK: ok})
	}
	return out
}

func u64Topic(v uint64) common.Hash          { return common.BigToHash(new(big.Int).SetUint64(v)) }
func addrTopic(a common.Address) common.Hash { return common.BytesToHash(a[:]) }
func txHash(i int) common.Hash               { return common.BigToHash(big.NewInt(int64(0xabc000 + i))) }

// eventLog builds a log of event name of the contract at addr, as the
// node serves it.
func eventLog(t *testing.T, a *abi.ABI, addr common.Address, name string, l1Block uint64, tx common.Hash, indexed []common.Hash, data ...any) types.Log {
	t.Helper()
	ev, ok := a.Events[name]
	if !ok {
		t.Fatalf("no event %s", name)
	}
	packed, err := ev.Inputs.NonIndexed().Pack(data...)
	if err != nil {
		t.Fatalf("pack %s: %v", name, err)
	}
	return types.Log{Address: addr, Topics: append([]common.Hash{ev.ID}, indexed...), Data: packed, BlockNumber: l1Block, TxHash: tx}
}

func batchAccepted(t *testing.T, index, first, last, l1Block uint64, tx common.Hash) types.Log {
	return eventLog(t, contract.ABI(), contract.Address, "BatchAccepted", l1Block, tx, []common.Hash{u64Topic(index)}, first, last, [32]byte{1})
}

func batchFinalized(t *testing.T, index, last, l1Block uint64) types.Log {
	return eventLog(t, contract.ABI(), contract.Address, "BatchFinalized", l1Block, common.Hash{}, []common.Hash{u64Topic(index)}, last)
}

func deposit(t *testing.T, from, to common.Address, amount *big.Int, l1Block, index uint64, tx common.Hash) types.Log {
	return eventLog(t, bridge.ABI(), bridge.Address, "Deposit", l1Block, tx, []common.Hash{addrTopic(from), addrTopic(to)}, amount, l1Block, index)
}

// stepAll runs Step over obs in turn and returns the last State and every
// event's text.
func stepAll(cfg Config, s State, obs ...Observation) (State, []Event) {
	var all []Event
	for _, o := range obs {
		var evs []Event
		s, evs = Step(cfg, s, o)
		all = append(all, evs...)
	}
	return s, all
}

// wantEvents checks that events are, in order, one per want, each
// containing its want's substrings, with the alert flag set as said.
func wantEvents(t *testing.T, events []Event, want ...[]string) {
	t.Helper()
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d:\n%s", len(events), len(want), eventsText(events))
	}
	for i, w := range want {
		for _, sub := range w {
			if sub == "ALERT" {
				if !events[i].Alert {
					t.Errorf("event %d is no alert: %s", i, events[i].Text)
				}
				continue
			}
			if !strings.Contains(events[i].Text, sub) {
				t.Errorf("event %d lacks %q: %s", i, sub, events[i].Text)
			}
		}
		if events[i].Alert && !contains(w, "ALERT") {
			t.Errorf("event %d is an alert: %s", i, events[i].Text)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func eventsText(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %v %s\n", e.Alert, e.Text)
	}
	return b.String()
}

// seeded returns the State after a first poll: L1 head 50 with batch 7
// (L2 blocks 1-3) in its window and batch 6 finalized, the L2 at unsafe
// 12, safe 10, finalized 3, and a challenger that agrees.
func seeded(t *testing.T, cfg Config) State {
	t.Helper()
	s, events := Step(cfg, NewState(), Observation{Now: t0,
		L1: &L1Obs{Head: 50, From: 10, To: 50, Seed: true, Logs: []types.Log{
			batchAccepted(t, 6, 1, 1, 20, txHash(900)), batchAccepted(t, 7, 2, 3, 40, txHash(901)), batchFinalized(t, 6, 1, 50),
			deposit(t, alice, alice, eth(20), 45, 0, txHash(902)),
		}},
		Validators: heads(cfg, 50), ValidatorSet: validatorSet(cfg),
		L2:         &L2Obs{Heads: Heads{Unsafe: 12, Safe: 10, Finalized: 3}},
		Challenger: &Verification{Checked: 10, Agreed: 10},
	})
	if len(events) != 0 {
		t.Fatalf("the seeding poll printed:\n%s", eventsText(events))
	}
	return s
}

func TestStepSeedsSilently(t *testing.T) {
	cfg := testConfig()
	s := seeded(t, cfg)
	if s.L1Next != 51 || s.L2Next != 13 || s.Voting != 4 || s.SetSize != 4 || len(s.Ops) != 0 {
		t.Errorf("seeded state: L1Next %d, L2Next %d, voting %d/%d, %d ops", s.L1Next, s.L2Next, s.Voting, s.SetSize, len(s.Ops))
	}
	if _, ok := s.Batches[7]; !ok || len(s.Batches) != 1 {
		t.Errorf("batches in window: %v, want batch 7 alone", s.Batches)
	}
	want := "L1 #50 (4/4 voting) · L2 unsafe #12 safe #10 final #3 · 1 batch in window · challenger agrees"
	if got := StatusLine(cfg, s, 0); got != want {
		t.Errorf("status line\n got %q\nwant %q", got, want)
	}
}

// TestStepReportsTransactionsAndTheirBatch: user transactions get a line
// on each layer, the sequencer's batch transaction does not; the batch
// holding an L2 transaction gets a line when posted and when final, an
// empty batch none.
func TestStepReportsTransactionsAndTheirBatch(t *testing.T) {
	cfg := testConfig()
	s := seeded(t, cfg)
	batchTx, userTx, l2Tx := txHash(1), txHash(2), txHash(3)
	_, events := Step(cfg, s, Observation{Now: t0.Add(time.Second),
		L1: &L1Obs{Head: 51, From: 51, To: 51,
			Blocks: []BlockObs{{Number: 51, TxHashes: []common.Hash{batchTx, userTx},
				Txs: []TxObs{{Hash: userTx, From: alice, To: &bob, Value: eth(15)}}}},
			Logs: []types.Log{batchAccepted(t, 8, 13, 13, 51, batchTx)}},
		Validators: heads(cfg, 51), ValidatorSet: validatorSet(cfg),
		L2: &L2Obs{Heads: Heads{Unsafe: 13, Safe: 13, Finalized: 3},
			Blocks: []BlockObs{{Number: 13, Hash: common.Hash{13}, TxHashes: []common.Hash{l2Tx},
				Txs: []TxObs{{Hash: l2Tx, From: alice, To: &contract.Address, Value: eth(100), Selector: contract.ABI().Methods["bond"].ID}}}}},
	})
	wantEvents(t, events,
		[]string{"L2 block 13: 1 transaction (0x0000…c003: 0xf39F…2266 → rollup.bond, 10 ETH)"},
		[]string{"L1 block 51: 1 transaction (0x0000…c002: 0xf39F…2266 → 0x0000…dEaD, 1.5 ETH)"},
		[]string{"batch 8 posted in L1 block 51: L2 block 13 (1 transaction) now safe; final after L1 block 81 (about 30 s)"})
	s, _ = Step(cfg, s, Observation{Now: t0.Add(time.Second),
		L1: &L1Obs{Head: 51, From: 51, To: 51, Blocks: []BlockObs{{Number: 51, TxHashes: []common.Hash{batchTx}}},
			Logs: []types.Log{batchAccepted(t, 8, 13, 13, 51, batchTx)}},
		L2: &L2Obs{Heads: Heads{Unsafe: 13, Safe: 13, Finalized: 3},
			Blocks: []BlockObs{{Number: 13, Hash: common.Hash{13}, TxHashes: []common.Hash{l2Tx}}}},
	})
	// A block with many transactions gets a count; an empty batch
	// nothing; the final batch a line.
	many := make([]common.Hash, 5)
	for i := range many {
		many[i] = txHash(10 + i)
	}
	s, events = stepAll(cfg, s,
		Observation{Now: t0.Add(2 * time.Second),
			L1: &L1Obs{Head: 53, From: 52, To: 53, Blocks: []BlockObs{{Number: 52, TxHashes: many[:2]}, {Number: 53, TxHashes: many[2:]}},
				Logs: []types.Log{batchAccepted(t, 9, 14, 20, 52, many[0])}}},
		Observation{Now: t0.Add(30 * time.Second),
			L1: &L1Obs{Head: 81, From: 54, To: 81, Logs: []types.Log{batchFinalized(t, 7, 3, 70), batchFinalized(t, 8, 13, 81)}}},
	)
	wantEvents(t, events,
		[]string{"L1 blocks 52–53: 4 transactions in 2 blocks"},
		[]string{"batch 8 finalized in L1 block 81: L2 block 13 (1 transaction) now final"})
	if _, ok := s.Batches[9]; !ok || len(s.Batches) != 1 {
		t.Errorf("batches in window: %v, want batch 9 alone", s.Batches)
	}
}

// TestStepFollowsADepositAndAWithdrawal: a deposit is reported when the
// L1 has it and when the L2 credits it; a withdrawal when the L2 has it
// and when the L1 pays it; their transactions get no line of their own.
func TestStepFollowsADepositAndAWithdrawal(t *testing.T) {
	cfg := testConfig()
	s := seeded(t, cfg)
	depTx, wdTx := txHash(1), txHash(2)
	id := block.OperationID{L1Block: 51, Index: 0}
	wdLog := eventLog(t, withdrawalqueue.ABI(), bridge.WithdrawalQueueAddress, "WithdrawalInitiated", 14, wdTx,
		[]common.Hash{u64Topic(0), addrTopic(alice), addrTopic(bob)}, eth(10))
	s, events := stepAll(cfg, s,
		Observation{Now: t0,
			L1: &L1Obs{Head: 51, From: 51, To: 51, Blocks: []BlockObs{{Number: 51, TxHashes: []common.Hash{depTx}}},
				Logs: []types.Log{deposit(t, alice, alice, eth(20), 51, 0, depTx)}}},
	)
	wantEvents(t, events, []string{"deposit 51/0: 2 ETH from 0xf39F…2266 to 0xf39F…2266 on the L2, in L1 block 51"})
	if got := StatusLine(cfg, s, 0); !strings.HasSuffix(got, " · 1 deposit pending") {
		t.Errorf("status line %q does not count the pending deposit", got)
	}
	s, events = stepAll(cfg, s,
		Observation{Now: t0.Add(1500 * time.Millisecond),
			L2: &L2Obs{Heads: Heads{Unsafe: 13, Safe: 10, Finalized: 3}, Blocks: []BlockObs{{Number: 13}},
				Ops: []OpStatus{{ID: id, Status: "pending"}}}},
		Observation{Now: t0.Add(2 * time.Second),
			L2: &L2Obs{Heads: Heads{Unsafe: 14, Safe: 10, Finalized: 3}, Blocks: []BlockObs{{Number: 14, TxHashes: []common.Hash{wdTx}}},
				Logs: []types.Log{wdLog}, Ops: []OpStatus{{ID: id, Status: "applied", L2Block: 14}}}},
		Observation{Now: t0.Add(3 * time.Second),
			L1: &L1Obs{Head: 52, From: 52, To: 52, Blocks: []BlockObs{{Number: 52, TxHashes: []common.Hash{txHash(3)}}},
				Logs: []types.Log{batchAccepted(t, 8, 13, 14, 52, txHash(3))}}},
	)
	wantEvents(t, events,
		[]string{"deposit 51/0 credited in L2 block 14 (2.0 s after it showed on the L1)"},
		[]string{"withdrawal #0 requested in L2 block 14: 1 ETH from 0xf39F…2266 to 0x0000…dEaD on the L1", "about 30 s"},
		[]string{"batch 8 posted in L1 block 52: L2 blocks 13–14 (1 transaction, 1 deposit) now safe"})
	if len(s.Ops) != 0 || len(s.Withdrawals) != 1 {
		t.Fatalf("%d operations pending, %d withdrawals to pay; want 0 and 1", len(s.Ops), len(s.Withdrawals))
	}
	paid := eventLog(t, bridge.ABI(), bridge.Address, "WithdrawalPaid", 82, common.Hash{}, []common.Hash{u64Topic(0), addrTopic(bob)}, eth(10))
	s, events = Step(cfg, s, Observation{Now: t0.Add(33 * time.Second),
		L1: &L1Obs{Head: 82, From: 53, To: 82, Logs: []types.Log{batchFinalized(t, 8, 14, 82), paid}}})
	wantEvents(t, events,
		[]string{"batch 8 finalized in L1 block 82", "now final; the L1 pays its 1 withdrawal now"},
		[]string{"withdrawal #0 paid in L1 block 82: 1 ETH to 0x0000…dEaD (requested in L2 block 14, 31.0 s ago)"})
	if len(s.Withdrawals) != 0 {
		t.Errorf("a paid withdrawal is still waiting: %v", s.Withdrawals)
	}
}

// TestStepReportsADispute: the challenger's disagreement, then the
// decided dispute (batches deleted, the L2 read again from the wrong
// block), the L2 head going back, and the challenger agreeing again.
func TestStepReportsADispute(t *testing.T) {
	cfg := testConfig()
	s := seeded(t, cfg)
	s, _ = Step(cfg, s, Observation{Now: t0,
		L1: &L1Obs{Head: 52, From: 51, To: 52, Logs: []types.Log{batchAccepted(t, 8, 4, 9, 51, txHash(1)), batchAccepted(t, 9, 10, 12, 52, txHash(2))}}})
	dis := &Verification{Checked: 9, Agreed: 9, Disagreement: &Disagreement{L2Block: 10, BatchIndex: 9, Fields: []string{"stateRoot"}}}
	challenger := common.HexToAddress("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")
	challenged := eventLog(t, contract.ABI(), contract.Address, "Challenged", 53, txHash(3),
		[]common.Hash{u64Topic(10), addrTopic(challenger)}, uint64(9), uint64(0), [32]byte{1}, [32]byte{2}, eth(50), eth(50), alice)
	s, events := stepAll(cfg, s,
		Observation{Now: t0.Add(time.Second), Challenger: dis},
		Observation{Now: t0.Add(1500 * time.Millisecond), Challenger: dis},
		Observation{Now: t0.Add(2 * time.Second),
			L1: &L1Obs{Head: 53, From: 53, To: 53, Blocks: []BlockObs{{Number: 53, TxHashes: []common.Hash{txHash(3)}}},
				Logs: []types.Log{challenged}},
			L2: &L2Obs{Heads: Heads{Unsafe: 9, Safe: 9, Finalized: 3}}},
	)
	wantEvents(t, events,
		[]string{"ALERT", "the challenger DISAGREES with the posted output of L2 block 10 (batch 9, differs in stateRoot)"},
		[]string{"ALERT", "the L2 head went back from block 12 to 9"},
		[]string{"ALERT", "DISPUTE decided in L1 block 53", "L2 block 10 was wrong", "challenger 0xa0Ee…9720",
			"Batches from #9 on are deleted", "lost 10 ETH of bond (5 ETH to the challenger, 5 ETH burned)", "continues from block 9"})
	if _, ok := s.Batches[9]; ok || len(s.Batches) != 2 {
		t.Errorf("batches after the dispute: %v, want 7 and 8", s.Batches)
	}
	if s.L2Next != 10 {
		t.Errorf("the L2 is read again from block %d, want 10", s.L2Next)
	}
	if got := StatusLine(cfg, s, 0); !strings.Contains(got, "challenger DISAGREES at #10") {
		t.Errorf("status line %q does not show the disagreement", got)
	}
	_, events = Step(cfg, s, Observation{Now: t0.Add(3 * time.Second), Challenger: &Verification{Checked: 9, Agreed: 9}})
	wantEvents(t, events, []string{"the challenger agrees with every posted output again (checked up to L2 block 9)"})
}

// TestStepReportsNodesDown: an exit (once), the voting count without it,
// an RPC that stops answering, an L1 stall, a smaller validator set.
func TestStepReportsNodesDown(t *testing.T) {
	cfg := testConfig()
	s := seeded(t, cfg)
	s, events := stepAll(cfg, s,
		Observation{Now: t0, Exits: []Exit{{Name: "validator-2", Err: "exit status 1"}}},
		Observation{Now: t0, Exits: []Exit{{Name: "validator-2", Err: "exit status 1"}}},
		Observation{Now: t0.Add(time.Second), Validators: heads(cfg, 51, "validator-2"), ValidatorSet: validatorSet(cfg),
			L1: &L1Obs{Head: 51, From: 51, To: 51, Blocks: []BlockObs{{Number: 51}}}},
		Observation{Now: t0.Add(2 * time.Second), Exits: []Exit{{Name: "sequencer", Err: "signal: killed"}}},
	)
	wantEvents(t, events,
		[]string{"ALERT", "validator-2 EXITED (exit status 1) and is not restarted. 5 of 6 nodes still run."},
		[]string{"ALERT", "sequencer EXITED (signal: killed)", "The L2 is down", "4 of 6 nodes still run."})
	if got := StatusLine(cfg, s, 0); !strings.HasPrefix(got, "L1 #51 (3/4 voting) · L2 sequencer DOWN") {
		t.Errorf("status line %q", got)
	}
	// The challenger's RPC: three silent polls make one alert.
	s, events = stepAll(cfg, s,
		Observation{Now: t0.Add(3 * time.Second), ChFailed: true},
		Observation{Now: t0.Add(4 * time.Second), ChFailed: true},
		Observation{Now: t0.Add(5 * time.Second), ChFailed: true},
		Observation{Now: t0.Add(6 * time.Second), ChFailed: true},
		Observation{Now: t0.Add(7 * time.Second), Challenger: &Verification{Checked: 12, Agreed: 12}},
	)
	wantEvents(t, events,
		[]string{"ALERT", "the challenger's RPC (http://127.0.0.1:9546) does not answer"},
		[]string{"the challenger's RPC answers again"})
	// The L1 stalls (5 s without a block) and moves again; the set shrinks.
	_, events = stepAll(cfg, s,
		Observation{Now: t0.Add(5 * time.Second), L1: &L1Obs{Head: 51, From: 52, To: 51}},
		Observation{Now: t0.Add(6500 * time.Millisecond), L1Failed: true},
		Observation{Now: t0.Add(7 * time.Second), L1: &L1Obs{Head: 51, From: 52, To: 51}},
		Observation{Now: t0.Add(8 * time.Second), L1: &L1Obs{Head: 52, From: 52, To: 52, Blocks: []BlockObs{{Number: 52}}},
			Validators: heads(cfg, 52, "validator-2"), ValidatorSet: validatorSet(cfg)[:3]},
	)
	wantEvents(t, events,
		[]string{"ALERT", "the L1 is stalled: no block after 51 for 5.5 s (3/4 validators voting)"},
		[]string{"ALERT", "the validator set changed: 4 → 3 validators"},
		[]string{"the L1 moves again: block 52 came 7.0 s after block 51"})
}

func TestStepReportsTheFirstL2BlockOnce(t *testing.T) {
	cfg := testConfig()
	f := &FirstBlock{Number: 1, SinceStart: 2700 * time.Millisecond, SinceSequencer: 600 * time.Millisecond}
	_, events := stepAll(cfg, NewState(), Observation{Now: t0, FirstL2: f}, Observation{Now: t0, FirstL2: f})
	wantEvents(t, events, []string{"the first L2 block came 2.7 s after the devnet started its processes (0.6 s after the sequencer)"})
	_, events = Step(cfg, NewState(), Observation{Now: t0, FirstL2: &FirstBlock{Number: 57, SinceStart: 3 * time.Second}})
	wantEvents(t, events, []string{"the first new L2 block (57) came 3.0 s"})
}

// TestStepLeavesPrevUnchanged: Step is pure; the State it is given is
// the same after.
func TestStepLeavesPrevUnchanged(t *testing.T) {
	cfg := testConfig()
	prev := seeded(t, cfg)
	snapshot := prev.clone()
	Step(cfg, prev, Observation{Now: t0.Add(time.Second), Exits: []Exit{{Name: "validator-1"}},
		L1: &L1Obs{Head: 52, From: 51, To: 52, Logs: []types.Log{batchFinalized(t, 7, 3, 52), deposit(t, alice, bob, eth(1), 52, 0, txHash(1))}},
		L2: &L2Obs{Heads: Heads{Unsafe: 14, Safe: 12, Finalized: 5}, Blocks: []BlockObs{{Number: 13, TxHashes: []common.Hash{txHash(2)}}}}})
	if !reflect.DeepEqual(prev, snapshot) {
		t.Errorf("Step changed the State it was given:\n got %+v\nwant %+v", prev, snapshot)
	}
}

// TestStepNoticesARebuiltL2: a new block whose parent is not the block
// read before says the sequencer rebuilt its chain.
func TestStepNoticesARebuiltL2(t *testing.T) {
	cfg := testConfig()
	s := seeded(t, cfg)
	s, events := Step(cfg, s, Observation{Now: t0, L2: &L2Obs{Heads: Heads{Unsafe: 13},
		Blocks: []BlockObs{{Number: 13, Hash: common.Hash{13}, Parent: common.Hash{12}}}}})
	wantEvents(t, events)
	_, events = Step(cfg, s, Observation{Now: t0, L2: &L2Obs{Heads: Heads{Unsafe: 14},
		Blocks: []BlockObs{{Number: 14, Hash: common.Hash{14}, Parent: common.Hash{0xee}}}}})
	wantEvents(t, events, []string{"ALERT", "L2 block 14 replaced the one seen before"})
}
