package watch

import (
	"math/big"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Config is what the watcher knows of the devnet before it polls.
type Config struct {
	// Validators are the L1 validators, in index order.
	Validators []Node
	// Sequencer is the L2 sequencer (nil: the devnet runs no L2).
	Sequencer *Node
	// Challenger is the challenger (nil: none runs).
	Challenger *Node
	// ChallengeWindow is the rollup's challenge window W in L1 blocks.
	ChallengeWindow uint64
	// L1BlockTime is the L1's target block interval.
	L1BlockTime time.Duration
	// NewChain says the chain was created by this run: every L1 block's
	// transactions are reported from block 1 (the sequencer's bond may be
	// in block 2 before the first poll). Otherwise the first poll only
	// seeds the state from the last window's logs, so that a resumed
	// chain's history is not reported again.
	NewChain bool
}

// Node is one node the watcher follows.
type Node struct {
	// Name is the node's process name (validator-0, sequencer, ...).
	Name string
	// RPC is its JSON-RPC URL.
	RPC string
	// Address is a validator's address (validators only).
	Address common.Address
}

// nodeCount is how many node processes the devnet runs.
func (c *Config) nodeCount() int {
	n := len(c.Validators)
	if c.Sequencer != nil {
		n++
	}
	if c.Challenger != nil {
		n++
	}
	return n
}

// Heads are the three L2 heads (DESIGN section 6).
type Heads struct {
	// Unsafe is the sequencer's newest block.
	Unsafe uint64
	// Safe is the newest block whose batch the L1 accepted.
	Safe uint64
	// Finalized is the newest block whose batch outlived the challenge
	// window.
	Finalized uint64
}

// Batch is a batch in its challenge window, as the watcher saw it posted.
type Batch struct {
	// First and Last are the L2 blocks it holds.
	First, Last uint64
	// L1Block is the L1 block that accepted it.
	L1Block uint64
	// Activity is what the watcher saw in its L2 blocks (none: an empty
	// batch, or blocks from before the watcher started).
	Activity Activity
}

// Activity counts what some L2 blocks hold besides their L1 origin.
type Activity struct {
	// Txs counts transactions, Deposits the deposits and Forced the
	// forced operations applied.
	Txs, Deposits, Forced int
}

// empty says the blocks hold nothing a person sent.
func (a Activity) empty() bool { return a.Txs == 0 && a.Deposits == 0 && a.Forced == 0 }

// add returns a + b.
func (a Activity) add(b Activity) Activity {
	return Activity{Txs: a.Txs + b.Txs, Deposits: a.Deposits + b.Deposits, Forced: a.Forced + b.Forced}
}

// PendingOp is an L1 bridge operation (deposit, forced withdrawal or
// forced transfer) the L2 has not applied yet.
type PendingOp struct {
	// Op is the operation.
	Op block.Operation
	// SeenAt is when the watcher saw it on the L1.
	SeenAt time.Time
}

// PendingWithdrawal is an L2 withdrawal the L1 has not paid yet.
type PendingWithdrawal struct {
	// L2Block is the L2 block that initiated it.
	L2Block uint64
	// To is the L1 recipient and Amount the wei it gets.
	To     common.Address
	Amount *big.Int
	// SeenAt is when the watcher saw it on the L2.
	SeenAt time.Time
}

// Verification is what the challenger's rollup_syncStatus says of the
// posted outputs.
type Verification struct {
	// Checked is the newest L2 block whose posted output it checked.
	Checked uint64
	// Agreed counts the outputs it agreed with.
	Agreed uint64
	// Disagreement is the first posted output it disagrees with (nil:
	// none).
	Disagreement *Disagreement
}

// Disagreement is a posted output the challenger found wrong.
type Disagreement struct {
	// L2Block is the block whose output is wrong, BatchIndex its batch.
	L2Block, BatchIndex uint64
	// Fields name what differs (stateRoot, blockHash, ...).
	Fields []string
}

// State is what the watcher knows between two polls. Step returns a new
// State and never changes the one it is given.
type State struct {
	// L1Seen says an L1 node has answered; the first answer seeds the
	// cursors and the batches in their window without printing them.
	L1Seen bool
	// L1Head is the newest L1 block seen.
	L1Head uint64
	// L1Next is the next L1 block whose transactions and logs to read.
	L1Next uint64
	// L1MovedAt is when L1Head last advanced; L1Stalled says the stall
	// was reported.
	L1MovedAt time.Time
	L1Stalled bool
	// Voting is how many validators of the set run and are at the head;
	// SetSize is the size of the validator set (0: not known yet).
	Voting, SetSize int

	// L2Seen says the sequencer has answered; L2 its heads then.
	L2Seen bool
	L2     Heads
	// L2Next is the next L2 block to read; L2Last the hash of the one
	// before it (zero: not known, no continuity check).
	L2Next uint64
	L2Last common.Hash
	// L2Fails counts the sequencer's unanswered polls in a row; L2Down
	// says its silence was reported.
	L2Fails int
	L2Down  bool

	// Verifier is the challenger's last answer (nil: none yet); ChFails
	// and ChDown are the challenger's L2Fails and L2Down.
	Verifier *Verification
	ChFails  int
	ChDown   bool

	// Batches are the batches in their challenge window, by index.
	Batches map[uint64]Batch
	// Ops are the L1 operations waiting to be applied on the L2.
	Ops map[block.OperationID]PendingOp
	// Withdrawals are the L2 withdrawals not yet paid, by nonce.
	Withdrawals map[uint64]PendingWithdrawal
	// Busy is the Activity of each L2 block not yet final that has some.
	Busy map[uint64]Activity
	// Down holds the nodes that exited.
	Down map[string]bool
	// FirstL2Done says the first L2 block's timing was reported.
	FirstL2Done bool
}

// Observation is what one poll saw. A nil part was not polled or did not
// answer (the Failed flags tell which).
type Observation struct {
	// Now is when the poll ended.
	Now time.Time
	// Exits are the nodes that exited since the last Step.
	Exits []Exit
	// L1 is what an L1 validator answered; L1Failed says none answered.
	L1       *L1Obs
	L1Failed bool
	// Validators are the validators' heads (the down ones left out).
	Validators []ValidatorObs
	// ValidatorSet is the current validator set (nil: not known).
	ValidatorSet []common.Address
	// L2 is the sequencer's answer; L2Failed says it did not answer.
	L2       *L2Obs
	L2Failed bool
	// Challenger is the challenger's answer; ChFailed says it did not
	// answer.
	Challenger *Verification
	ChFailed   bool
	// FirstL2 is the first L2 block's timing, once measured.
	FirstL2 *FirstBlock
}

// Exit is a node process that exited.
type Exit struct {
	// Name is the node; Err how it exited ("" for status 0).
	Name, Err string
}

// L1Obs is what an L1 node answered.
type L1Obs struct {
	// Head is its head.
	Head uint64
	// From and To are the L1 blocks Blocks and Logs cover (From > To:
	// none).
	From, To uint64
	// Seed says Logs are history from before the watcher started: they
	// update the State (the batches in their window) but print nothing.
	Seed bool
	// Blocks are blocks From to To, in order (none when Seed).
	Blocks []BlockObs
	// Logs are the rollup contract's and the bridge's logs of From to To.
	Logs []types.Log
}

// BlockObs is one new block, L1 or L2.
type BlockObs struct {
	// Number, Hash and Parent identify it.
	Number       uint64
	Hash, Parent common.Hash
	// TxHashes are its transactions' hashes, in order.
	TxHashes []common.Hash
	// Txs are some of its transactions in full (those Describe names).
	Txs []TxObs
}

// TxObs is a transaction in full.
type TxObs struct {
	// Hash, From and To (nil: a contract creation) identify it.
	Hash common.Hash
	From common.Address
	To   *common.Address
	// Value is the wei it sends.
	Value *big.Int
	// Selector is the first 4 bytes of its input (fewer: a plain transfer).
	Selector []byte
}

// ValidatorObs is one validator's head.
type ValidatorObs struct {
	// Name is the validator's node name.
	Name string
	// Head is its head; OK says it answered.
	Head uint64
	OK   bool
}

// L2Obs is what the sequencer answered.
type L2Obs struct {
	// Heads are its unsafe, safe and finalized heads.
	Heads Heads
	// Blocks are the blocks from State.L2Next on, in order.
	Blocks []BlockObs
	// Logs are the withdrawal queue's logs of those blocks.
	Logs []types.Log
	// Ops are rollup_depositStatus answers for operations of State.Ops.
	Ops []OpStatus
}

// OpStatus is the rollup_depositStatus of an L1 operation.
type OpStatus struct {
	// ID names the operation.
	ID block.OperationID
	// Status is applied, failed, pending or unknown.
	Status string
	// L2Block is the L2 block that applied it (applied or failed).
	L2Block uint64
	// Reason says why a failed operation failed.
	Reason string
}

// FirstBlock is the timing of the first L2 block the sequencer made after
// it started.
type FirstBlock struct {
	// Number is the block.
	Number uint64
	// SinceStart is how long after the devnet started its processes it
	// appeared; SinceSequencer how long after the sequencer started.
	SinceStart, SinceSequencer time.Duration
}

// Kind says what an Event is about.
type Kind string

// Kinds of Events.
const (
	KindNode       Kind = "node"       // a node exited, an RPC stopped or resumed answering
	KindL1         Kind = "l1"         // L1 transactions, stalls, validator set changes
	KindL2         Kind = "l2"         // L2 transactions, the first L2 block, rollbacks
	KindBatch      Kind = "batch"      // a batch with transactions posted or finalized
	KindDeposit    Kind = "deposit"    // an L1 operation seen on the L1 or applied on the L2
	KindWithdrawal Kind = "withdrawal" // an L2 withdrawal requested, paid or halted
	KindDispute    Kind = "dispute"    // a challenge decided, the challenger disagreeing
)

// Event is one line a person wants to see.
type Event struct {
	// Kind says what it is about.
	Kind Kind
	// Alert marks what went wrong (a node down, a dispute).
	Alert bool
	// Text is the line, without a time or a newline.
	Text string
}
