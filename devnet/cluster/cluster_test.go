package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

func TestFreePortCanBeBound(t *testing.T) {
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("port %d from FreePort cannot be bound: %v", p, err)
	}
	ln.Close()
}

func TestPortSetNeverHandsOutAPortTwice(t *testing.T) {
	s := newPortSet(1)
	seen := map[int]bool{}
	for range 50 {
		np, err := s.pickNodePorts()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []int{np.P2P, np.RPC, np.Metrics} {
			if seen[p] {
				t.Fatalf("port %d handed out twice", p)
			}
			seen[p] = true
		}
	}
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	calls := 0
	err := Eventually(5*time.Second, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Eventually = %v after %d calls, want nil after 3", err, calls)
	}
}

func TestEventuallyTimesOutWithTheLastError(t *testing.T) {
	err := Eventually(100*time.Millisecond, func() error { return errors.New("node 2 at height 3") })
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if want := "node 2 at height 3"; !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %q, want it to say %q", err, want)
	}
}

// groupAlive reports whether any process of group pgid exists.
func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}

func TestKillLeavesNoProcessOfTheGroup(t *testing.T) {
	// The shell starts a background child: killing only the shell would
	// leave it running.
	p, err := startProcess("/bin/sh", []string{"-c", "sleep 300 & sleep 300"}, t.TempDir()+"/log")
	if err != nil {
		t.Fatal(err)
	}
	pgid := p.cmd.Process.Pid
	if !groupAlive(pgid) {
		t.Fatal("process group not running after start")
	}
	p.kill()
	if err := Eventually(5*time.Second, func() error {
		if groupAlive(pgid) {
			return errors.New("a process of the group is still alive")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestStopKillsAProcessThatIgnoresSIGINT(t *testing.T) {
	logPath := t.TempDir() + "/log"
	p, err := startProcess("/bin/sh", []string{"-c", `trap "" INT; echo ignoring-sigint; sleep 300 & wait`}, logPath)
	if err != nil {
		t.Fatal(err)
	}
	// Signal only once the shell ignores SIGINT.
	if err := Eventually(5*time.Second, func() error {
		data, err := os.ReadFile(logPath)
		if err != nil || !strings.Contains(string(data), "\nignoring-sigint\n") {
			return errors.New("shell has not set its trap yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pgid := p.cmd.Process.Pid
	if err := p.stop(200 * time.Millisecond); !errors.Is(err, errStopTimeout) {
		t.Fatalf("stop = %v, want errStopTimeout (exit %v)", err, p.err)
	}
	if err := Eventually(5*time.Second, func() error {
		if groupAlive(pgid) {
			return errors.New("a process of the group is still alive")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestClusterRunsAndCleanupKillsEveryNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts validator processes; skipped with -short")
	}
	var pgids []int
	var logs []string
	t.Run("cluster", func(t *testing.T) {
		c := New(t, Options{Validators: 1, FullNodes: 1, Admin: true, BlockTime: 300 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := c.WaitHeight(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if c.Genesis.Rollup != nil || c.Sequencer() != nil || c.SequencerKey != nil {
			t.Fatalf("a cluster without Options.Sequencer has a rollup section or a sequencer")
		}
		v, full := c.Node(0), c.Node(1)
		if !v.IsValidator() || full.IsValidator() {
			t.Fatalf("node roles: %s validator=%v, %s validator=%v", v.Name, v.IsValidator(), full.Name, full.IsValidator())
		}
		info, err := v.NodeInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.PeerID != v.PeerID || info.Validator == nil || *info.Validator != v.Validator {
			t.Fatalf("nodeInfo %+v does not match the node (peer %s, validator %s)", info, v.PeerID, v.Validator)
		}
		// A full node restarted with SIGINT resumes on the same ports.
		url := full.RPCURL()
		if err := full.Restart(); err != nil {
			t.Fatal(err)
		}
		if full.RPCURL() != url {
			t.Fatalf("restart moved the RPC endpoint from %s to %s", url, full.RPCURL())
		}
		head, err := v.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := full.WaitHeight(ctx, head+1); err != nil {
			t.Fatal(err)
		}
		checkIsolateRejoin(ctx, t, v, full)
		checkPortRetry(ctx, t, c)
		for _, n := range c.Nodes() {
			n.mu.Lock()
			pgids = append(pgids, n.proc.cmd.Process.Pid)
			n.mu.Unlock()
			logs = append(logs, n.LogPath)
		}
	})
	if len(pgids) != 3 {
		t.Fatalf("subtest recorded %d processes, want 3", len(pgids))
	}
	for _, pgid := range pgids {
		if groupAlive(pgid) {
			t.Errorf("process group %d still alive after the cluster's cleanup", pgid)
		}
	}
}

// checkIsolateRejoin cuts full off its peers through the admin API and
// lets it back.
func checkIsolateRejoin(ctx context.Context, t *testing.T, v, full *Node) {
	t.Helper()
	if err := Eventually(30*time.Second, func() error {
		peers, err := full.Peers(ctx)
		if err != nil || len(peers) == 0 {
			return fmt.Errorf("%s has no peers yet (err %v)", full.Name, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if blocked, err := full.Isolate(ctx); err != nil || blocked == 0 {
		t.Fatalf("isolate: blocked %d peers, err %v; want at least 1", blocked, err)
	}
	if err := Eventually(30*time.Second, func() error {
		peers, err := v.Peers(ctx)
		if err != nil {
			return err
		}
		for _, p := range peers {
			if p.ID == full.PeerID {
				return fmt.Errorf("%s still lists the isolated %s", v.Name, full.Name)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if unblocked, err := full.Rejoin(ctx); err != nil || unblocked == 0 {
		t.Fatalf("rejoin: unblocked %d peers, err %v; want at least 1", unblocked, err)
	}
	head, err := v.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := full.WaitHeight(ctx, head+1); err != nil {
		t.Fatalf("after rejoining: %v", err)
	}
}

// checkPortRetry adds a node whose RPC port is taken before its first
// start: the start must pick new ports and succeed.
func checkPortRetry(ctx context.Context, t *testing.T, c *Cluster) {
	t.Helper()
	n, err := c.initNode(NodeOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	taken := n.ports.RPC
	n.mu.Unlock()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(taken))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := n.Start(); err != nil {
		t.Fatalf("start with a taken RPC port: %v", err)
	}
	if n.RPCURL() == "http://127.0.0.1:"+strconv.Itoa(taken) {
		t.Fatalf("%s kept the taken RPC port %d", n.Name, taken)
	}
	if _, err := n.Head(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestClusterWithSequencer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts validator and sequencer processes; skipped with -short")
	}
	var pgid, challengerPgid int
	t.Run("cluster", func(t *testing.T) {
		c := New(t, Options{Validators: 1, FullNodes: 1, Sequencer: true, Challenger: true})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		r := c.Genesis.Rollup
		if r == nil || c.SequencerKey == nil || r.Sequencer != crypto.PubkeyToAddress(c.SequencerKey.PublicKey) {
			t.Fatalf("rollup section %+v does not name the sequencer key", r)
		}
		if r.ChallengeWindow != RollupWindow || r.SequencingWindow != RollupWindow {
			t.Fatalf("rollup windows %d/%d, want %d", r.ChallengeWindow, r.SequencingWindow, RollupWindow)
		}
		s := c.Sequencer()
		if !s.IsSequencer() || s.IsValidator() || s.IsChallenger() || len(c.Nodes()) != 2 {
			t.Fatalf("sequencer handle: sequencer=%v validator=%v, %d L1 nodes", s.IsSequencer(), s.IsValidator(), len(c.Nodes()))
		}
		if id, err := s.Client().ChainID(ctx); err != nil || id.Uint64() != r.L2ChainID {
			t.Fatalf("sequencer chain id %v (err %v), want %d", id, err, r.L2ChainID)
		}
		// The sequencer follows the L1: its origin advances.
		if err := c.Node(0).WaitHeight(ctx, 4); err != nil {
			t.Fatal(err)
		}
		waitOrigin := func(min uint64) {
			t.Helper()
			if err := waitCtx(ctx, func() error {
				st, err := s.SyncStatus(ctx)
				if err != nil {
					return err
				}
				if uint64(st.UnsafeL2.L1Origin.Number) < min || uint64(st.HeadL1) < min {
					return fmt.Errorf("sequencer origin %d, L1 head %d; want at least %d", st.UnsafeL2.L1Origin.Number, st.HeadL1, min)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		waitOrigin(2)
		// kill -9 and restart on the same ports and data directory.
		st, err := s.SyncStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		url := s.RPCURL()
		before, err := s.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Kill(); err != nil {
			t.Fatal(err)
		}
		if s.Running() {
			t.Fatal("sequencer still running after Kill")
		}
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
		if s.RPCURL() != url {
			t.Fatalf("restart moved the sequencer from %s to %s", url, s.RPCURL())
		}
		if after, err := s.Head(ctx); err != nil || after < before {
			t.Fatalf("L2 head %d after the restart (err %v), %d before", after, err, before)
		}
		waitOrigin(uint64(st.UnsafeL2.L1Origin.Number) + 1) // it follows the L1 again
		s.mu.Lock()
		pgid = s.proc.cmd.Process.Pid
		s.mu.Unlock()
		if logs, err := s.Logs(); err != nil || !strings.Contains(logs, "Sequencer started") {
			t.Errorf("sequencer log %s (err %v) lacks its start line", s.LogPath, err)
		}
		challengerPgid = checkChallenger(t, ctx, c)
	})
	if pgid == 0 || challengerPgid == 0 {
		t.Fatal("subtest recorded no sequencer or challenger process")
	}
	for name, g := range map[string]int{"sequencer": pgid, "challenger": challengerPgid} {
		if groupAlive(g) {
			t.Errorf("%s process group %d still alive after the cluster's cleanup", name, g)
		}
	}
}

// checkChallenger checks the cluster's challenger: it follows node 1 (not
// the sequencer's node 0), answers the L2 chain id, comes to verify
// posted outputs with no disagreement, and resumes after kill -9 on the
// same ports with its derived head kept. It returns its process group.
func checkChallenger(t *testing.T, ctx context.Context, c *Cluster) int {
	t.Helper()
	ch := c.Challenger()
	if ch == nil || !ch.IsChallenger() || ch.IsSequencer() || ch.IsValidator() || ch.Index != -1 {
		t.Fatalf("challenger handle %+v", ch)
	}
	if c.ChallengerL1Node() != c.Node(1) {
		t.Fatalf("the challenger follows %s, want node 1", c.ChallengerL1Node().Name)
	}
	if logs, err := ch.Logs(); err != nil || !strings.Contains(logs, "--l1.rpc "+c.Node(1).RPCURL()) ||
		strings.Contains(logs, c.Sequencer().RPCURL()) {
		t.Fatalf("challenger log %s (err %v): want it started with --l1.rpc %s and never the sequencer's %s",
			ch.LogPath, err, c.Node(1).RPCURL(), c.Sequencer().RPCURL())
	}
	if id, err := ch.Client().ChainID(ctx); err != nil || id.Uint64() != c.Genesis.Rollup.L2ChainID {
		t.Fatalf("challenger chain id %v (err %v)", id, err)
	}
	verified := func() SyncStatus {
		t.Helper()
		var st SyncStatus
		if err := waitCtx(ctx, func() error {
			var err error
			if st, err = ch.SyncStatus(ctx); err != nil {
				return err
			}
			v := st.Verification
			if v == nil || v.FirstDisagreement != nil || v.Agreed == 0 || st.SafeL2.Number == 0 {
				return fmt.Errorf("challenger status %+v, verification %+v: want agreed outputs and no disagreement", st, v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return st
	}
	before := verified()
	url := ch.RPCURL()
	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := ch.Restart(); err != nil {
		t.Fatal(err)
	}
	if ch.RPCURL() != url {
		t.Fatalf("restart moved the challenger from %s to %s", url, ch.RPCURL())
	}
	if head, err := ch.Head(ctx); err != nil || head < uint64(before.SafeL2.Number) {
		t.Fatalf("challenger head %d after kill -9 and restart (err %v), %d before", head, err, before.SafeL2.Number)
	}
	verified()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.proc.cmd.Process.Pid
}
