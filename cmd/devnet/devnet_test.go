package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/devnet/devnettest"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
)

// summaryMarker is a line of the summary, printed once every node has
// committed a block.
const summaryMarker = "Listening on http://"

// stopTimeout bounds a clean stop of "devnet up" after SIGINT.
const stopTimeout = 30 * time.Second

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m)) }

// alive reports whether pid runs. A zombie (exited, not yet reaped by
// whoever inherited it) does not count.
func alive(pid int) bool {
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// The state follows the parenthesised command name.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
			return stat[i+2] != 'Z'
		}
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// TestUpStopResumeReset is the end-to-end test of the one-command devnet:
// up prints the summary once every validator commits and the sequencer's
// and the challenger's L2 RPCs answer, then a status line and event lines
// but no log line (--verbose streams the logs, --quiet neither), standard clients work against the
// printed URLs (the L2 with chain id 1338 and the dev accounts
// prefunded), the challenger (following validator 1) reports posted
// outputs that agree with its own and none that differ, Ctrl-C leaves no
// process behind (the sequencer and the challenger included), up again
// resumes at or above the old height without initialising the sequencer
// again (the challenger resumes its derivation), --l1-only leaves the L2
// out, and reset wipes the directory.
func TestUpStopResumeReset(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs a 4-process devnet")
	}
	bin := devnettest.BuildBinaries(t, "devnet", "validator", "sequencer", "challenger")
	l := devnet.Layout{Dir: filepath.Join(t.TempDir(), "devnet")}
	devnettest.DumpLogsOnFailure(t, l, 40)
	offset := devnettest.FreeOffset(t, 4, 1500)

	up := devnettest.StartUp(t, filepath.Join(bin, "devnet"), stopTimeout, "--datadir", l.Dir, "--port-offset", fmt.Sprint(offset))
	up.WaitOutput(t, summaryMarker, 60*time.Second)
	// By default the summary is followed by a status line (every 30 s
	// off a terminal, the first at once) and event lines, not the logs:
	// the sequencer's bond is the first L1 transaction, and the first L2
	// block's timing is reported.
	up.WaitOutput(t, " status: L1 #", 10*time.Second)
	up.WaitOutput(t, "→ rollup.bond, 10 ETH)", 20*time.Second)
	up.WaitOutput(t, "the first L2 block came ", 20*time.Second)
	for _, want := range []string{"initialised the sequencer", "L2 chain id 1338", fmt.Sprintf("L2 on http://127.0.0.1:%d", devnet.SequencerPorts(offset).RPC),
		fmt.Sprintf("Challenger on http://127.0.0.1:%d", devnet.ChallengerPorts(offset).RPC), "verifies every posted output",
		"Challenge window:  30 L1 blocks (about 30 s)", "Below: a status line and one line per event"} {
		if !strings.Contains(up.Output(), want) {
			t.Errorf("devnet up did not print %q", want)
		}
	}
	if m := regexp.MustCompile(`\[(validator-\d|sequencer|challenger)\] `).FindString(up.Output()); m != "" {
		t.Errorf("devnet up without --verbose streamed the nodes' logs (%q):\n%s", m, up.Output())
	}
	if m := regexp.MustCompile(`the first L2 block came ([\d.]+) s after the devnet started its processes`).FindStringSubmatch(up.Output()); m != nil {
		t.Logf("first L2 block %s s after the processes started", m[1])
	}
	eps, err := devnet.ReadEndpoints(l.EndpointsFile())
	if err != nil {
		t.Fatal(err)
	}
	checkEndpoints(t, l, eps, offset)
	height := checkClients(t, eps)
	checkSequencer(t, eps)
	checkChallenger(t, eps)

	up.Interrupt(t)
	for _, n := range eps.Nodes {
		if alive(n.PID) {
			t.Errorf("%s (pid %d) still runs after the devnet stopped", n.Name, n.PID)
		}
	}
	if after, err := devnet.ReadEndpoints(l.EndpointsFile()); err != nil || len(after.Nodes) != 6 || slices.ContainsFunc(after.Nodes, func(e devnet.Endpoint) bool { return e.PID != 0 }) {
		t.Errorf("endpoints.json after the stop: %+v, %v; want every pid 0", after.Nodes, err)
	}
	if !strings.Contains(up.Output(), "stopping every node (the sequencer and the challenger first)") {
		t.Errorf("the stop did not say it stops the sequencer and the challenger first:\n%s", up.Output())
	}
	if _, err := os.Stat(l.LockFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left behind: %v", err)
	}

	again := devnettest.StartUp(t, filepath.Join(bin, "devnet"), stopTimeout, "--datadir", l.Dir, "--verbose") // the offset is remembered
	again.WaitOutput(t, summaryMarker, 60*time.Second)
	if eps, err = devnet.ReadEndpoints(l.EndpointsFile()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again.Output(), "resumed") {
		t.Errorf("second run did not say it resumed:\n%s", again.Output())
	}
	again.WaitOutput(t, "[validator-3] ", 10*time.Second) // --verbose streams the logs with a prefix
	again.WaitOutput(t, "[sequencer] ", 10*time.Second)
	again.WaitOutput(t, "[challenger] ", 10*time.Second)
	if strings.Contains(again.Output(), " status: ") {
		t.Errorf("--verbose printed a status line:\n%s", again.Output())
	}
	if strings.Contains(again.Output(), "initialised the sequencer") {
		t.Errorf("the resumed devnet initialised the sequencer again:\n%s", again.Output())
	}
	if resumed := checkClients(t, eps); resumed < height {
		t.Errorf("resumed at height %d, below the %d reached before the stop", resumed, height)
	}
	checkSequencer(t, eps)
	checkChallenger(t, eps)
	if logs, err := os.ReadFile(l.LogFile(devnet.ChallengerName)); err != nil || !regexp.MustCompile(`Verifier resumes".* l1=([2-9]|\d{2,}) `).Match(logs) {
		t.Errorf("the restarted challenger did not resume its derivation past L1 block 1 (err %v):\n%s", err, logs)
	}
	out, err := exec.Command(filepath.Join(bin, "devnet"), "reset", "--datadir", l.Dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "running") {
		t.Errorf("reset of a running devnet: err %v, output %s", err, out)
	}
	// If the devnet process itself dies, its nodes must not linger (Linux:
	// Pdeathsig); the stale lock does not block a reset.
	again.Kill(t)
	waitGone(t, eps)

	// --l1-only runs the validators alone.
	l1 := devnettest.StartUp(t, filepath.Join(bin, "devnet"), stopTimeout, "--datadir", l.Dir, "--quiet", "--l1-only")
	l1.WaitOutput(t, summaryMarker, 60*time.Second)
	if eps, err = devnet.ReadEndpoints(l.EndpointsFile()); err != nil || len(eps.Nodes) != 4 || eps.L2ChainID != 0 {
		t.Errorf("endpoints.json of an --l1-only devnet: %+v, %v", eps, err)
	}
	if !strings.Contains(l1.Output(), "L2:    not running") {
		t.Errorf("the --l1-only summary does not say the L2 is not running:\n%s", l1.Output())
	}
	if out := l1.Output(); strings.Contains(out, "[validator-0] ") || strings.Contains(out, " status: ") {
		t.Errorf("--quiet printed logs or a status line:\n%s", out)
	}
	l1.Interrupt(t)

	if out, err := exec.Command(filepath.Join(bin, "devnet"), "reset", "--datadir", l.Dir).CombinedOutput(); err != nil {
		t.Fatalf("reset: %v\n%s", err, out)
	}
	if _, err := os.Stat(l.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reset left %s: %v", l.Dir, err)
	}
}

// waitGone waits until no node process of eps is left.
func waitGone(t *testing.T, eps devnet.Endpoints) {
	t.Helper()
	waitfor.Until(t, 20*time.Second, func() error {
		for _, n := range eps.Nodes {
			if alive(n.PID) {
				return fmt.Errorf("%s (pid %d) outlived the killed devnet process", n.Name, n.PID)
			}
		}
		return nil
	})
}

// checkEndpoints checks endpoints.json against the devnet's conventions.
func checkEndpoints(t *testing.T, l devnet.Layout, eps devnet.Endpoints, offset int) {
	t.Helper()
	if eps.ChainID != devnet.L1ChainID || eps.L2ChainID != devnet.L2ChainID || len(eps.Nodes) != 6 {
		t.Fatalf("endpoints: chains %d/%d with %d nodes, want %d/%d with 4 validators, a sequencer and a challenger",
			eps.ChainID, eps.L2ChainID, len(eps.Nodes), devnet.L1ChainID, devnet.L2ChainID)
	}
	seq, ok := eps.Sequencer()
	sp := devnet.SequencerPorts(offset)
	if !ok || seq.Name != "sequencer" || seq.RPC != fmt.Sprintf("http://127.0.0.1:%d", sp.RPC) ||
		seq.Metrics != fmt.Sprintf("http://127.0.0.1:%d/metrics", sp.Metrics) || seq.Log != l.LogFile("sequencer") ||
		seq.Datadir != l.SequencerDir() || seq.Address == "" || seq.PID <= 0 || !alive(seq.PID) {
		t.Errorf("sequencer endpoint %+v", seq)
	}
	ch, ok := eps.Challenger()
	cp := devnet.ChallengerPorts(offset)
	if !ok || ch.Name != "challenger" || ch.Role != "challenger" || ch.RPC != fmt.Sprintf("http://127.0.0.1:%d", cp.RPC) ||
		ch.Metrics != fmt.Sprintf("http://127.0.0.1:%d/metrics", cp.Metrics) || ch.Log != l.LogFile("challenger") ||
		ch.Datadir != l.ChallengerDir() || ch.L1RPC != fmt.Sprintf("http://127.0.0.1:%d", devnet.PortsFor(1, offset).RPC) ||
		ch.L1RPC == seq.L1RPC || ch.PID <= 0 || !alive(ch.PID) {
		t.Errorf("challenger endpoint %+v (the sequencer follows %s)", ch, seq.L1RPC)
	}
	for i, n := range eps.Validators() {
		p := devnet.PortsFor(i, offset)
		want := devnet.Endpoint{Name: devnet.NodeName(i), Role: "validator",
			RPC: fmt.Sprintf("http://127.0.0.1:%d", p.RPC), Metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Metrics),
			Log: l.LogFile(devnet.NodeName(i)), Datadir: l.NodeDir(i)}
		if n.Name != want.Name || n.Role != want.Role || n.RPC != want.RPC || n.Metrics != want.Metrics ||
			n.Log != want.Log || n.Datadir != want.Datadir {
			t.Errorf("node %d: %+v, want %+v", i, n, want)
		}
		if !strings.HasPrefix(n.P2P, fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/16Uiu2", p.P2P)) {
			t.Errorf("node %d p2p address %q", i, n.P2P)
		}
		if n.PID <= 0 || !alive(n.PID) {
			t.Errorf("node %d pid %d is not running", i, n.PID)
		}
		if st, err := os.Stat(n.Log); err != nil || st.Size() == 0 {
			t.Errorf("node %d log %s: %v", i, n.Log, err)
		}
	}
}

// checkClients drives every node with go-ethereum's ethclient: chain id,
// a development account's balance, and a head that advances on all of
// them. It returns the lowest head seen after the advance.
func checkClients(t *testing.T, eps devnet.Endpoints) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acct, err := devkeys.Get(0)
	if err != nil {
		t.Fatal(err)
	}
	validators := eps.Validators()
	urls := make([]string, len(validators))
	var top uint64
	for i, n := range validators {
		urls[i] = n.RPC
		c, err := ethclient.DialContext(ctx, n.RPC)
		if err != nil {
			t.Fatal(err)
		}
		id, err := c.ChainID(ctx)
		if err != nil || id.Cmp(big.NewInt(devnet.L1ChainID)) != 0 {
			t.Fatalf("%s chain id %v, %v", n.Name, id, err)
		}
		bal, err := c.BalanceAt(ctx, acct.Address, nil)
		if err != nil || bal.Cmp(devnet.DevAccountBalance.Big()) != 0 {
			t.Fatalf("%s balance of dev account 0: %v, %v", n.Name, bal, err)
		}
		h, err := c.BlockNumber(ctx)
		if err != nil {
			t.Fatal(err)
		}
		top = max(top, h)
		c.Close()
	}
	heads, err := devnet.WaitForHeight(ctx, urls, top+1, nil)
	if err != nil {
		t.Fatalf("blocks do not advance on every node: %v", err)
	}
	low := heads[0]
	for _, h := range heads {
		low = min(low, h)
	}
	return low
}

// checkSequencer drives the sequencer's L2 RPC with ethclient: chain id
// 1338 and the dev accounts prefunded, and its metrics answer.
func checkSequencer(t *testing.T, eps devnet.Endpoints) {
	t.Helper()
	seq, ok := eps.Sequencer()
	if !ok {
		t.Fatal("no sequencer in endpoints.json")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := ethclient.DialContext(ctx, seq.RPC)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id, err := c.ChainID(ctx)
	if err != nil || id.Cmp(big.NewInt(devnet.L2ChainID)) != 0 {
		t.Fatalf("sequencer chain id %v, %v; want %d", id, err, devnet.L2ChainID)
	}
	acct, err := devkeys.Get(9)
	if err != nil {
		t.Fatal(err)
	}
	bal, err := c.BalanceAt(ctx, acct.Address, nil)
	if err != nil || bal.Cmp(devnet.DevAccountBalance.Big()) != 0 {
		t.Fatalf("L2 balance of dev account 9: %v, %v", bal, err)
	}
	resp, err := http.Get(seq.Metrics)
	if err != nil {
		t.Fatalf("sequencer metrics: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sequencer metrics: %s", resp.Status)
	}
}

// checkChallenger drives the challenger's read-only L2 RPC: chain id 1338,
// the dev accounts prefunded on its derived chain, a transaction refused,
// its metrics, and rollup_syncStatus, whose verification must come to
// count agreed outputs with no disagreement.
func checkChallenger(t *testing.T, eps devnet.Endpoints) {
	t.Helper()
	ch, ok := eps.Challenger()
	if !ok {
		t.Fatal("no challenger in endpoints.json")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := ethclient.DialContext(ctx, ch.RPC)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if id, err := c.ChainID(ctx); err != nil || id.Cmp(big.NewInt(devnet.L2ChainID)) != 0 {
		t.Fatalf("challenger chain id %v, %v; want %d", id, err, devnet.L2ChainID)
	}
	acct, err := devkeys.Get(8)
	if err != nil {
		t.Fatal(err)
	}
	if bal, err := c.BalanceAt(ctx, acct.Address, big.NewInt(0)); err != nil || bal.Cmp(devnet.DevAccountBalance.Big()) != 0 {
		t.Fatalf("challenger: L2 genesis balance of dev account 8: %v, %v", bal, err)
	}
	resp, err := http.Get(ch.Metrics)
	if err != nil {
		t.Fatalf("challenger metrics: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "bilayer_verifier_outputs_agreed_total") {
		t.Fatalf("challenger metrics: %s, no bilayer_verifier_outputs_agreed_total", resp.Status)
	}
	var st struct {
		SafeL2       struct{ Number hexutil.Uint64 } `json:"safeL2"`
		Verification struct {
			CheckedL2         hexutil.Uint64  `json:"checkedL2"`
			Agreed            hexutil.Uint64  `json:"agreed"`
			FirstDisagreement json.RawMessage `json:"firstDisagreement"`
		} `json:"verification"`
	}
	waitfor.Until(t, 45*time.Second, func() error {
		if err := c.Client().CallContext(ctx, &st, "rollup_syncStatus"); err != nil {
			t.Fatalf("challenger rollup_syncStatus: %v", err)
		}
		if d := st.Verification.FirstDisagreement; len(d) != 0 && string(d) != "null" {
			t.Fatalf("the challenger disagrees with a posted output: %s", d)
		}
		if st.Verification.Agreed > 0 && st.Verification.CheckedL2 > 0 {
			return nil
		}
		return fmt.Errorf("the challenger verified no posted output: %+v", st)
	})
	t.Logf("challenger: derived head %d, %d outputs agreed up to L2 block %d", st.SafeL2.Number, st.Verification.Agreed, st.Verification.CheckedL2)
}
