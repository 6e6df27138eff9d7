package devnet

import (
	"context"
	"errors"
	"fmt"
	"github.com/bilayer/bilayer/internal/waitfor"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

func withSequencer(cfg Config) Config {
	cfg.Sequencer = &SequencerIdentity{Address: "0x00000000000000000000000000000000000005e9", Keystore: SequencerKeyPath}
	return cfg
}

func TestSequencerPortsAndArgs(t *testing.T) {
	if got, want := SequencerPorts(0), (Ports{RPC: 9545, Metrics: 7060}); got != want {
		t.Fatalf("SequencerPorts(0) = %+v, want %+v", got, want)
	}
	if got := SequencerPorts(300).List(); !slices.Equal(got, []int{9845, 7360}) {
		t.Fatalf("SequencerPorts(300).List() = %v", got)
	}
	l := Layout{Dir: "/d"}
	args, err := SequencerRunArgs(l, withSequencer(testConfig(ModeLocal)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"run", "--datadir", "/d/sequencer", "--password-file", "/d/password",
		"--l1.rpc", "http://127.0.0.1:8555", "--rpc.addr", "127.0.0.1:9555", "--metrics.addr", "127.0.0.1:7070"}
	if !slices.Equal(args, want) {
		t.Fatalf("SequencerRunArgs =\n%q\nwant\n%q", args, want)
	}
	args, err = SequencerRunArgs(Layout{Dir: "/devnet"}, withSequencer(testConfig(ModeDocker)))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, w := range []string{"--l1.rpc http://validator-0:8545", "--rpc.addr 0.0.0.0:9545", "--metrics.addr 0.0.0.0:7060", "--datadir /devnet/sequencer"} {
		if !strings.Contains(joined, w) {
			t.Errorf("docker args %q lack %q", joined, w)
		}
	}
	if _, err := SequencerRunArgs(l, testConfig(ModeLocal)); !errors.Is(err, ErrNoSequencer) {
		t.Fatalf("a devnet without a sequencer: %v", err)
	}
	wantInit := []string{"init", "--datadir", "/d/sequencer", "--genesis", "/d/genesis.json", "--password-file", "/d/password",
		"--key", "/d/keys/sequencer.json", "--lightkdf"}
	if got := SequencerInitArgs(l); !slices.Equal(got, wantInit) {
		t.Fatalf("SequencerInitArgs = %q, want %q", got, wantInit)
	}
	e := SequencerEndpoint(l, withSequencer(testConfig(ModeLocal)))
	if e.Role != RoleSequencer || e.RPC != "http://127.0.0.1:9555" || e.Metrics != "http://127.0.0.1:7070/metrics" ||
		e.Log != "/d/logs/sequencer.log" || e.Address == "" || e.P2P != "" {
		t.Fatalf("sequencer endpoint %+v", e)
	}
}

func TestCheckSequencerPortsFreeNamesTheSequencer(t *testing.T) {
	offset := 2000 + os.Getpid()%1000
	for CheckSequencerPortsFree(offset) != nil {
		offset += 97
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", SequencerPorts(offset).RPC))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = CheckSequencerPortsFree(offset)
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), "sequencer") {
		t.Fatalf("CheckSequencerPortsFree = %v, want ErrPortInUse naming the sequencer", err)
	}
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestInitSequencerRunsOnce(t *testing.T) {
	dir := t.TempDir()
	l := Layout{Dir: filepath.Join(dir, "d")}
	calls := filepath.Join(dir, "calls")
	bin := filepath.Join(dir, "sequencer")
	// $3 is the --datadir value: "init --datadir D ...".
	writeScript(t, bin, fmt.Sprintf("echo \"$@\" >> %s\nmkdir -p \"$3/keystore\" && touch \"$3/keystore/sequencer.json\"\n", calls))
	cfg := withSequencer(testConfig(ModeLocal))
	if _, err := InitSequencer(t.Context(), l, testConfig(ModeLocal), bin, nil); !errors.Is(err, ErrNoSequencer) {
		t.Fatalf("init without a sequencer: %v", err)
	}
	for want := range []bool{true, false} {
		ran, err := InitSequencer(t.Context(), l, cfg, bin, nil)
		if err != nil || ran != (want == 0) {
			t.Fatalf("InitSequencer #%d = %v, %v", want, ran, err)
		}
	}
	data, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != strings.Join(SequencerInitArgs(l), " ") {
		t.Fatalf("calls %q", got)
	}
	writeScript(t, bin, "echo boom >&2; exit 3\n")
	if _, err := InitSequencer(t.Context(), Layout{Dir: filepath.Join(dir, "e")}, cfg, bin, nil); err == nil ||
		!strings.Contains(err.Error(), "boom") {
		t.Fatalf("failing init: %v", err)
	}
}

// The sequencer runs beside the validators under the same supervisor,
// logs as "[sequencer]", and Stop stops it before any validator.
func TestSupervisorStopsTheSequencerFirst(t *testing.T) {
	dir := t.TempDir()
	l := Layout{Dir: filepath.Join(dir, "d")}
	order := filepath.Join(dir, "order")
	node := func(name string) string {
		bin := filepath.Join(dir, name)
		// Say it started, then idle until SIGINT, then record the stop.
		writeScript(t, bin, fmt.Sprintf("trap 'echo %s >> %s; exit 0' INT\necho up\nwhile :; do sleep 0.05; done\n", name, order))
		return bin
	}
	cfg := withSequencer(testConfig(ModeLocal))
	var term syncBuilder
	sup, err := Start(SuperviseOptions{Layout: l, Config: cfg, ValidatorBin: node("validator"), SequencerBin: node("sequencer"), Terminal: &term})
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.StartSequencer(); err != nil {
		sup.Stop(5 * time.Second)
		t.Fatal(err)
	}
	if pids := sup.PIDs(); len(pids) != 3 || sup.PID(SequencerName) == 0 || slices.Contains(pids, sup.PID(SequencerName)) {
		sup.Stop(5 * time.Second)
		t.Fatalf("pids %v, sequencer %d", pids, sup.PID(SequencerName))
	}
	if err := waitfor.Within(20*time.Second, func() error {
		if !strings.Contains(term.String(), "[sequencer] up") || strings.Count(term.String(), "] up") < 4 {
			return fmt.Errorf("nodes did not start: %q", term.String())
		}
		return nil
	}); err != nil {
		sup.Stop(5 * time.Second)
		t.Fatal(err)
	}
	if err := sup.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(order)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(data))
	if len(lines) != 4 || lines[0] != "sequencer" {
		t.Fatalf("stop order %q, want the sequencer first, then 3 validators", lines)
	}
	if log, err := os.ReadFile(l.LogFile(SequencerName)); err != nil || !strings.Contains(string(log), "up") {
		t.Fatalf("sequencer log %q, %v", log, err)
	}
	if err := sup.StartSequencer(); err == nil {
		t.Fatal("started a node on a stopped supervisor")
	}
}

// syncBuilder is a strings.Builder safe for writers and a reader.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSummaryShowsTheL2(t *testing.T) {
	l := Layout{Dir: "/d"}
	cfg := withSequencer(testConfig(ModeLocal)) // port offset 10
	eps := Endpoints{ChainID: L1ChainID, L2ChainID: L2ChainID, Datadir: l.Dir}
	for i := range cfg.Validators {
		eps.Nodes = append(eps.Nodes, LocalEndpoint(l, cfg, i))
	}
	seq := SequencerEndpoint(l, cfg)
	seq.PID = 4242
	eps.Nodes = append(eps.Nodes, seq)
	var out strings.Builder
	params := &ChainParams{L1BlockTime: time.Second, L2BlockTime: L2BlockTime, ChallengeWindow: ChallengeWindow,
		SequencingWindow: SequencingWindow, SequencerBond: SequencerBond.Big()}
	if err := WriteSummary(&out, SummaryInfo{Endpoints: eps, Heads: []uint64{3, 4, 2}, DevnetCmd: "devnet", Params: params, Display: DisplayWatch}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"Challenge window:  30 L1 blocks (about 30 s): a batch is final, and the L1 pays its withdrawals",
		"Sequencing window: 20 L1 blocks (about 20 s)", "Sequencer bond:    10 ETH",
		"L1 blocks:         every 1s; L2 blocks: every 250ms while transactions arrive",
		"Below: a status line and one line per event", "--verbose streams every node's log lines instead",
		"3 validators and a sequencer, L1 chain id 1337, L2 chain id 1338",
		"10000 ETH each, on the L1 and on the L2",
		"L2: 1338 (the rollup; sequencer 0x00000000000000000000000000000000000005e9)",
		"sequencer    L2 RPC http://127.0.0.1:9555", "pid 4242",
		"L2 on http://127.0.0.1:9555 (chain id 1338): the same ten accounts are prefunded", "soft-confirmed",
		"wallet --l2-rpc http://127.0.0.1:9555 --layer l2 --dev-account 0 transfer",
		"wallet --rpc http://127.0.0.1:8555 --l2-rpc http://127.0.0.1:9555 --dev-account 0 deposit --amount 2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "L2:    not running") {
		t.Errorf("summary says there is no L2:\n%s", text)
	}
	// Without an offset the wallet's defaults fit: no URL flags.
	cfg.PortOffset = 0
	eps.Nodes = []Endpoint{LocalEndpoint(l, cfg, 0), SequencerEndpoint(l, cfg)}
	out.Reset()
	if err := WriteSummary(&out, SummaryInfo{Endpoints: eps, DevnetCmd: "devnet"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"wallet --layer l2 --dev-account 0 transfer", "wallet --dev-account 0 deposit --amount 2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary at the default ports lacks %q:\n%s", want, out.String())
		}
	}
}

// chainIDService answers eth_chainId.
type chainIDService struct{ id uint64 }

// ChainId is eth_chainId.
func (s chainIDService) ChainId() hexutil.Uint64 { return hexutil.Uint64(s.id) }

func TestWaitForRPC(t *testing.T) {
	serve := func(id uint64) string {
		srv := rpc.NewServer()
		if err := srv.RegisterName("eth", chainIDService{id}); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(func() { hs.Close(); srv.Stop() })
		return hs.URL
	}
	if err := WaitForRPC(t.Context(), serve(L2ChainID), L2ChainID, nil, 0, nil); err != nil {
		t.Fatalf("an answering RPC: %v", err)
	}
	if err := WaitForRPC(t.Context(), serve(L1ChainID), L2ChainID, nil, 0, nil); err == nil || !strings.Contains(err.Error(), "chain id 1337, want 1338") {
		t.Fatalf("the wrong chain: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	var reports []RPCProgress
	err = WaitForRPC(ctx, down, L2ChainID, nil, 100*time.Millisecond, func(p RPCProgress) { reports = append(reports, p) })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("a closed port: %v", err)
	}
	if len(reports) == 0 || reports[0].Left <= 0 || reports[0].Left > 500*time.Millisecond || reports[0].Err == nil {
		t.Fatalf("progress %+v", reports)
	}
	exits := make(chan NodeExit, 1)
	exits <- NodeExit{Name: SequencerName, Err: errors.New("exit status 1")}
	if err := WaitForRPC(t.Context(), down, L2ChainID, exits, 0, nil); !errors.Is(err, ErrNodeExited) {
		t.Fatalf("an exited node: %v", err)
	}
}
