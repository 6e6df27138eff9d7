package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// The world of one driver-simulation seed: real nodes (driver, gossip,
// sync, chain) over memnet and memdb, all inside one testing/synctest
// bubble, so every timer of the driver and of the network runs on virtual
// time. The world crashes and restarts nodes on their own database and
// double-sign guard, withholds proposals from chosen nodes, and watches
// every consensus message on the wire.

// Crash kinds: where in the driver's action sequence a node dies.
const (
	crashStop          = iota // between two events (Node.Stop at an instant)
	crashBeforePersist        // the machine moved, its new state is not saved
	crashBeforeSign           // the state is saved, the message is not signed
	crashBeforeSend           // the guard signed (and saved), nothing was sent
	numCrashKinds
)

var crashKindNames = [numCrashKinds]string{"stop", "before-persist", "before-sign", "before-send"}

// crashAt reports whether action a is where a node armed with kind dies.
func crashAt(kind int32, a consensus.Action) bool {
	switch a.(type) {
	case consensus.Persist:
		return kind == crashBeforePersist
	case consensus.SignVote, consensus.SignProposal:
		return kind == crashBeforeSign
	case consensus.BroadcastVote, consensus.BroadcastProposal:
		return kind == crashBeforeSend
	}
	return false
}

// simNode is one node of the world across its restarts.
type simNode struct {
	idx   int
	id    p2p.PeerID
	db    store.Store
	guard *signer.MemStore
	host  *memnet.Host
	n     *Node // nil while down
	// armed is the crash kind the running driver dies at (-1: none);
	// crashed is the kind it died at (-1: running), set by the driver
	// goroutine.
	armed   atomic.Int32
	crashed atomic.Int32
	// loseValues deletes the saved value blocks before the next restart.
	loseValues bool
}

// simWorld is one seed's cluster.
type simWorld struct {
	t     *testing.T
	gen   *genesis.Genesis
	keys  []*ecdsa.PrivateKey // validator keys; a joiner's is last
	net   *memnet.Network
	nodes []*simNode
	topic string
	logs  *simLog
	wire  *wireWatch
	// equivocator signs conflicting prevotes on purpose (-1: none).
	equivocator int
	// withholder is the seed's withholding byzantine validator, if any.
	withholder *randomWithholder
	// haltBefore, if set, is asked (on the driver goroutine) before each
	// consensus action of node sn: true halts that driver for good, as a
	// byzantine validator that goes silent (its node still relays).
	haltBefore func(sn *simNode, a consensus.Action) bool
}

// newSimWorld builds the genesis, the network (with the watch as its
// interceptor) and the nodes, and starts them.
func newSimWorld(t *testing.T, p simParams, logs *simLog) *simWorld {
	t.Helper()
	w := &simWorld{t: t, logs: logs, equivocator: p.equivocator}
	joiner := testKey(50)
	w.gen, w.keys = newTestGenesis(t, 4, testKey(999), func(g *genesis.Genesis) {
		g.BlockTime.Duration = p.blockTime
		g.Alloc[crypto.PubkeyToAddress(joiner.PublicKey)] = genesis.Account{Balance: genesis.Ether(500)}
		g.Staking.EpochLength, g.Staking.UnbondingPeriod = p.epoch, 2*p.epoch
		if p.withholder {
			for i := range g.Validators {
				g.Validators[i].Stake = genesis.Ether(1000)
			}
			g.Validators[p.small].Stake = genesis.Ether(100)
		}
		if p.genesis != nil {
			p.genesis(g)
		}
	})
	w.topic = p2p.ConsensusTopic(w.gen.ChainID)
	w.wire = newWireWatch(strconvChainID(w.gen.ChainID), w.topic)
	net, err := memnet.New(memnet.Config{Seed: p.seed, MinDelay: p.minDelay, MaxDelay: p.maxDelay,
		DropRate: p.drop, DupRate: p.dup, Intercept: w.wire.intercept})
	if err != nil {
		t.Fatal(err)
	}
	w.net = net
	count := 4
	if p.join {
		w.keys = append(w.keys, joiner)
		count = 5
	}
	for i := range count {
		w.nodes = append(w.nodes, &simNode{idx: i, id: p2p.PeerID(fmt.Sprintf("v%d", i)), db: memdb.New(), guard: signer.NewMemStore()})
	}
	if p.withholder {
		w.withholder = &randomWithholder{seed: p.seed, host: w.nodes[3].id,
			addr: crypto.PubkeyToAddress(w.keys[3].PublicKey), sent: make(map[withholdSend]bool)}
		w.wire.filter = w.withholder.filter
	}
	if p.prepare != nil {
		p.prepare(w)
	}
	for _, sn := range w.nodes {
		w.up(sn)
	}
	w.net.ConnectAll()
	t.Cleanup(w.close)
	return w
}

func strconvChainID(id uint64) string { return fmt.Sprint(id) }

// up starts node sn (again) on its database and guard under its host id,
// which keeps its links and its side of a partition.
func (w *simWorld) up(sn *simNode) {
	w.t.Helper()
	if sn.loseValues {
		sn.loseValues = false
		if err := sn.db.Delete(store.ConsensusBlocksKey()); err != nil {
			w.t.Fatal(err)
		}
	}
	host, err := w.net.NewHost(sn.id)
	if err != nil {
		w.t.Fatal(err)
	}
	n, err := New(Config{Genesis: w.gen, DB: sn.db, Network: host, ValidatorKey: w.keys[sn.idx], SignerStore: sn.guard,
		Logger: slog.New(w.logs.handler(string(sn.id))), DevEquivocate: sn.idx == w.equivocator})
	if err != nil {
		w.t.Fatalf("restart %s: %v", sn.id, err)
	}
	sn.armed.Store(-1)
	sn.crashed.Store(-1)
	n.crashBefore = func(a consensus.Action) bool {
		if w.haltBefore != nil && w.haltBefore(sn, a) {
			return true
		}
		if kind := sn.armed.Load(); crashAt(kind, a) {
			sn.crashed.Store(kind)
			return true
		}
		return false
	}
	if err := n.Start(); err != nil {
		w.t.Fatalf("start %s: %v", sn.id, err)
	}
	sn.host, sn.n = host, n
}

// down stops node sn and takes its host off the network; its database and
// guard stay, as a killed process's disk does.
func (w *simWorld) down(sn *simNode) {
	if sn.n == nil {
		return
	}
	sn.n.Stop()
	_ = sn.host.Close()
	sn.n, sn.host = nil, nil
}

func (w *simWorld) close() {
	for _, sn := range w.nodes {
		w.down(sn)
	}
	_ = w.net.Close()
}

// heads returns every node's committed height, 0 for a node that is down.
func (w *simWorld) heads() []uint64 {
	out := make([]uint64, len(w.nodes))
	for i, sn := range w.nodes {
		if sn.n != nil {
			out[i] = sn.n.Chain().Head().Number()
		}
	}
	return out
}

// submitStake sends the joiner's stake transaction to every running node.
func (w *simWorld) submitStake() {
	w.t.Helper()
	sc, err := staking.New(staking.ConfigFromGenesis(w.gen))
	if err != nil {
		w.t.Fatal(err)
	}
	input, err := sc.ABI().Pack("stake")
	if err != nil {
		w.t.Fatal(err)
	}
	to := staking.Address
	key := w.keys[4]
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(new(big.Int).SetUint64(w.gen.ChainID)), &types.DynamicFeeTx{
		ChainID: new(big.Int).SetUint64(w.gen.ChainID), Nonce: 0, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9),
		Gas: 300_000, To: &to, Value: genesis.Ether(100).Big(), Data: input})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, sn := range w.nodes {
		if sn.n != nil {
			_ = sn.n.RPCBackend().SendTransaction(context.Background(), tx) // "already known" from the second on
		}
	}
}

// wireWatch sees every consensus message hop on the network: it records
// what each validator signed, per height, round and type, to catch a
// double sign, and withholds the proposals of chosen heights from chosen
// hosts.
type wireWatch struct {
	chainID string
	topic   string

	mu       sync.Mutex
	decoded  map[[32]byte]wireMsg
	signed   map[signKey][32]byte
	failure  string
	withheld map[withholdKey]bool // (host, height) -> proposals dropped
	dropped  int                  // proposal hops withheld
	messages int                  // distinct consensus messages seen
	// filter, if set, is asked about every decoded consensus hop (with
	// the watch locked) and drops it by returning false: a byzantine
	// validator's sends, or a loss before GST.
	filter func(from, to p2p.PeerID, m wireMsg) bool
}

// signKey is one signing slot of one validator; typ 0 is a proposal.
type signKey struct {
	val  [20]byte
	h    consensus.Height
	r    consensus.Round
	typ  consensus.VoteType
	prop bool
}

type withholdKey struct {
	to p2p.PeerID
	h  consensus.Height
}

// wireMsg is what the watch needs of one consensus message.
type wireMsg struct {
	proposal bool
	height   consensus.Height
	ok       bool
	round    consensus.Round
	typ      consensus.VoteType // a vote's type
	signer   common.Address
	id       [32]byte // wire.MessageID: the same for every envelope of one signed message
}

func newWireWatch(chainID, topic string) *wireWatch {
	return &wireWatch{chainID: chainID, topic: topic, decoded: make(map[[32]byte]wireMsg),
		signed: make(map[signKey][32]byte), withheld: make(map[withholdKey]bool)}
}

// intercept is the network's hook (memnet.Config.Intercept).
func (ww *wireWatch) intercept(from, to p2p.PeerID, topic string, data []byte) bool {
	if topic != ww.topic {
		return true
	}
	id := sha256.Sum256(data)
	ww.mu.Lock()
	defer ww.mu.Unlock()
	m, ok := ww.decoded[id]
	if !ok {
		m = ww.observe(data)
		ww.decoded[id] = m
	}
	if m.ok && m.proposal && ww.withheld[withholdKey{to, m.height}] {
		ww.dropped++
		return false
	}
	return !m.ok || ww.filter == nil || ww.filter(from, to, m)
}

// observe decodes a message seen for the first time and records its
// signature slot.
func (ww *wireWatch) observe(data []byte) wireMsg {
	ww.messages++
	kind, payload, err := wire.DecodeEnvelope(data, 1<<30)
	if err != nil {
		return wireMsg{}
	}
	if kind == wire.KindVote {
		v, err := wire.DecodeVote(payload)
		if err != nil {
			return wireMsg{}
		}
		ww.signedSlot(signKey{val: v.Validator, h: v.Height, r: v.Round, typ: v.Type}, consensus.VoteSignBytes(ww.chainID, v), v.String())
		return wireMsg{height: v.Height, ok: true, round: v.Round, typ: v.Type, signer: v.Validator, id: wire.MessageID(data)}
	}
	pm, err := wire.DecodeProposal(payload, 1<<30)
	if err != nil {
		return wireMsg{}
	}
	p := pm.Proposal
	ww.signedSlot(signKey{val: p.Proposer, h: p.Height, r: p.Round, prop: true}, consensus.ProposalSignBytes(ww.chainID, p), p.String())
	return wireMsg{proposal: true, height: p.Height, ok: true, round: p.Round, signer: p.Proposer, id: wire.MessageID(data)}
}

func (ww *wireWatch) signedSlot(k signKey, digest [32]byte, what string) {
	if prev, ok := ww.signed[k]; ok && prev != digest && ww.failure == "" {
		ww.failure = fmt.Sprintf("DOUBLE SIGN: validator %x signed two different messages at h=%d r=%d (proposal=%v type=%v); the second: %s",
			k.val[:4], k.h, k.r, k.prop, k.typ, what)
	}
	ww.signed[k] = digest
}

// withhold drops every proposal of height h on its way to host to, until
// release.
func (ww *wireWatch) withhold(to p2p.PeerID, h consensus.Height) {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	ww.withheld[withholdKey{to, h}] = true
}

// release ends all withholding.
func (ww *wireWatch) release() {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	clear(ww.withheld)
}

// doubleSign returns the first double sign seen, or "".
func (ww *wireWatch) doubleSign() string {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	return ww.failure
}

// simLog is the nodes' shared log of one seed: it counts the messages the
// simulation reports on (a decided block fetched afterwards, a restored
// state) and keeps the last records for a failure report; with
// -sim.verbose it prints everything.
type simLog struct {
	mu     sync.Mutex
	counts map[string]int
	ring   []string
	next   int
	full   bool
}

const simLogTail = 120

func newSimLog() *simLog {
	return &simLog{counts: make(map[string]int), ring: make([]string, simLogTail)}
}

func (l *simLog) handler(node string) slog.Handler {
	return &simLogHandler{l: l, node: node}
}

func (l *simLog) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[msg]
}

// tail returns the last records, oldest first.
func (l *simLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for i := range simLogTail {
		j := i
		if l.full {
			j = (l.next + i) % simLogTail
		} else if i >= l.next {
			break
		}
		b.WriteString("\n    " + l.ring[j])
	}
	return b.String()
}

type simLogHandler struct {
	l     *simLog
	node  string
	attrs []slog.Attr
}

func (h *simLogHandler) Enabled(_ context.Context, lvl slog.Level) bool {
	return lvl >= slog.LevelInfo || *driveSimVerbose
}

func (h *simLogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %-5s %s", r.Time.Format("15:04:05.000"), h.node, r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s", a)
	}
	synced := false
	var arrivedIn, proposalIn time.Duration
	var sent bool
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s", a)
		synced = synced || (a.Key == "synced" && a.Value.Kind() == slog.KindBool && a.Value.Bool())
		switch a.Key {
		case "proposalArrivedIn":
			arrivedIn = a.Value.Duration()
		case "proposalIn":
			proposalIn = a.Value.Duration()
		case "proposalSentIn": // logged only by a node that proposed
			sent = true
		}
		return true
	})
	line := b.String()
	if *driveSimVerbose {
		fmt.Fprintln(os.Stderr, line)
	}
	l := h.l
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[r.Message]++
	if synced {
		l.counts[r.Message+" (synced)"]++
	}
	if arrivedIn > 0 {
		l.counts[r.Message+" (proposal arrived after the height started)"]++
	}
	if sent {
		l.counts[r.Message+" (own proposal sent)"]++
	}
	if arrivedIn > proposalIn {
		l.counts[r.Message+" (proposal taken up before it arrived)"]++
	}
	l.ring[l.next] = line
	l.next++
	if l.next == simLogTail {
		l.next, l.full = 0, true
	}
	return nil
}

func (h *simLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &simLogHandler{l: h.l, node: h.node, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *simLogHandler) WithGroup(string) slog.Handler { return h }
