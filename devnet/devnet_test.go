package devnet

import (
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPortsShiftByIndexAndOffset(t *testing.T) {
	if got, want := PortsFor(0, 0), (Ports{RPC: 8545, P2P: 30303, Metrics: 6060}); got != want {
		t.Fatalf("PortsFor(0, 0) = %+v, want %+v", got, want)
	}
	if got, want := PortsFor(3, 100), (Ports{RPC: 8648, P2P: 30406, Metrics: 6163}); got != want {
		t.Fatalf("PortsFor(3, 100) = %+v, want %+v", got, want)
	}
	for _, bad := range [][2]int{{0, 0}, {MaxValidators + 1, 0}, {4, -1}, {4, 65535 - 30303}} {
		if err := ValidateOffset(bad[0], bad[1]); err == nil {
			t.Errorf("ValidateOffset(%d, %d) accepted", bad[0], bad[1])
		}
	}
	if err := ValidateOffset(4, 65535-30303-3); err != nil {
		t.Errorf("highest offset refused: %v", err)
	}
}

func TestCheckPortsFreeNamesTheTakenPort(t *testing.T) {
	offset := 2000 + os.Getpid()%1000
	for CheckPortsFree(2, offset) != nil {
		offset += 97
	}
	// Take validator-1's metrics port.
	taken := PortsFor(1, offset).Metrics
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", taken))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = CheckPortsFree(2, offset)
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("CheckPortsFree = %v, want ErrPortInUse", err)
	}
	for _, want := range []string{fmt.Sprint(taken), "validator-1", "--port-offset"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestFreeOffsetStaysBelowTheEphemeralRange: FreeOffset picks an offset
// whose every port (validators, sequencer, challenger) is free and below
// the kernel's ephemeral range, skips one with a port taken, and refuses a
// step that would never advance.
func TestFreeOffsetStaysBelowTheEphemeralRange(t *testing.T) {
	const validators, step = 4, 97
	first := 1000 + os.Getpid()%300
	off, err := FreeOffset(validators, first, 20000, step)
	if err != nil {
		t.Fatal(err)
	}
	floor := ephemeralFloor()
	if got, ok := EphemeralPortFloor(); runtime.GOOS == "linux" && (!ok || got != floor || got <= 1024 || got > 65535) {
		t.Fatalf("EphemeralPortFloor on Linux = %d, %v; want the first port of %s (%d)", got, ok, ephemeralRangeFile, floor)
	}
	if off < first || (off-first)%step != 0 || BaseP2PPort+off+validators-1 >= floor {
		t.Fatalf("offset %d: want first %d plus a multiple of %d, every port below %d", off, first, step, floor)
	}
	// Take the sequencer's metrics port at that offset: the next free one is chosen.
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", SequencerPorts(off).Metrics))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	next, err := FreeOffset(validators, off, 20000, step)
	if err != nil {
		t.Fatal(err)
	}
	if next <= off || BaseP2PPort+next+validators-1 >= floor {
		t.Fatalf("with a port of offset %d taken, FreeOffset gave %d; want a later one below %d", off, next, floor)
	}
	if _, err := FreeOffset(validators, first, 20000, 0); err == nil {
		t.Fatal("a step of 0 accepted")
	}
}

func testConfig(mode Mode) Config {
	return Config{Validators: 3, PortOffset: 10, Mode: mode, ChainID: L1ChainID, Nodes: []NodeIdentity{
		{Name: "validator-0", PeerID: "A"}, {Name: "validator-1", PeerID: "B"}, {Name: "validator-2", PeerID: "C"}}}
}

func TestRunArgsLocal(t *testing.T) {
	l := Layout{Dir: "/d"}
	args, err := RunArgs(l, testConfig(ModeLocal), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"run", "--datadir", "/d/validator-1", "--password-file", "/d/password",
		"--p2p.listen", "/ip4/127.0.0.1/tcp/30314", "--rpc.addr", "127.0.0.1:8556", "--metrics.addr", "127.0.0.1:6071",
		"--cache", "32", "--bootnodes", "/ip4/127.0.0.1/tcp/30313/p2p/A,/ip4/127.0.0.1/tcp/30315/p2p/C"}
	if !slices.Equal(args, want) {
		t.Fatalf("RunArgs =\n%q\nwant\n%q", args, want)
	}
	if _, err := RunArgs(l, testConfig(ModeLocal), 3); err == nil {
		t.Fatal("node 3 of 3 accepted")
	}
}

func TestRunArgsDockerAddressPeersByHostName(t *testing.T) {
	args, err := RunArgs(Layout{Dir: "/devnet"}, testConfig(ModeDocker), 0)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, want := range []string{"--p2p.listen /ip4/0.0.0.0/tcp/30303", "--rpc.addr 0.0.0.0:8545", "--metrics.addr 0.0.0.0:6060",
		"--bootnodes /dns4/validator-1/tcp/30303/p2p/B,/dns4/validator-2/tcp/30303/p2p/C"} {
		if !strings.Contains(joined, want) {
			t.Errorf("docker args %q lack %q", joined, want)
		}
	}
}

func TestLockRefusesARunningDevnetAndTakesOverAStaleOne(t *testing.T) {
	l := Layout{Dir: filepath.Join(t.TempDir(), "d")}
	lock, err := AcquireLock(l, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireLock(l, os.Getpid()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second lock = %v, want ErrRunning", err)
	}
	if pid, running := RunningPID(l); !running || pid != os.Getpid() {
		t.Fatalf("RunningPID = %d, %v", pid, running)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	if _, running := RunningPID(l); running {
		t.Fatal("released lock still reports a running devnet")
	}
	// A lock left by a process that no longer exists is stale.
	if err := os.WriteFile(l.LockFile(), []byte("2147483646\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock, err = AcquireLock(l, os.Getpid())
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	lock.Release()
}

func TestPrefixWriterWritesWholePrefixedLines(t *testing.T) {
	var out strings.Builder
	var mu sync.Mutex
	a := &prefixWriter{mu: &mu, w: &out, prefix: "[a] "}
	b := &prefixWriter{mu: &mu, w: &out, prefix: "[b] "}
	a.Write([]byte("one\ntw"))
	b.Write([]byte("x\n"))
	a.Write([]byte("o\nthree"))
	a.Flush()
	if got, want := out.String(), "[a] one\n[b] x\n[a] two\n[a] three\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestTailReturnsTheLastLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Tail(path, 3)
	if err != nil || got != "line 97\nline 98\nline 99" {
		t.Fatalf("Tail = %q, %v", got, err)
	}
	if _, err := Tail(filepath.Join(t.TempDir(), "none"), 3); err == nil {
		t.Fatal("tail of a missing file succeeded")
	}
}

func TestConfigRoundTripAndMissing(t *testing.T) {
	l := Layout{Dir: t.TempDir()}
	if _, err := LoadConfig(l); !errors.Is(err, ErrNotGenerated) {
		t.Fatalf("LoadConfig of an empty dir = %v, want ErrNotGenerated", err)
	}
	want := testConfig(ModeDocker)
	if err := SaveConfig(l, want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(l)
	if err != nil || !slices.Equal(got.Nodes, want.Nodes) || got.Mode != want.Mode || got.PortOffset != want.PortOffset {
		t.Fatalf("LoadConfig = %+v, %v; want %+v", got, err, want)
	}
}

func TestGenerateRefusesAHalfGeneratedDirectory(t *testing.T) {
	l := Layout{Dir: t.TempDir()}
	if err := os.WriteFile(l.GenesisFile(), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Generate(t.Context(), GenerateOptions{Layout: l, Validators: 4, Now: time.Now})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Generate = %v, want ErrIncomplete", err)
	}
}

func TestSummaryShowsWhatAUserNeeds(t *testing.T) {
	l := Layout{Dir: "/d"}
	cfg := testConfig(ModeLocal)
	eps := Endpoints{ChainID: L1ChainID, Datadir: l.Dir}
	for i := range cfg.Validators {
		eps.Nodes = append(eps.Nodes, LocalEndpoint(l, cfg, i))
	}
	var out strings.Builder
	if err := WriteSummary(&out, SummaryInfo{Endpoints: eps, Heads: []uint64{3, 4, 2}, DevnetCmd: "devnet"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"L1 chain id 1337", "head 4", "10000 ETH",
		"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
		"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
		"test test test test test test test test test test test junk",
		"http://127.0.0.1:8555", "wallet --rpc http://127.0.0.1:8555 --dev-account 0 transfer",
		"/d/logs", "reset --datadir /d", "L2:    not running",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEtherString(t *testing.T) {
	for wei, want := range map[string]string{"10000000000000000000000": "10000", "1500000000000000000": "1.5", "1": "0.000000000000000001"} {
		v, _ := new(big.Int).SetString(wei, 10)
		if got := etherString(v); got != want {
			t.Errorf("etherString(%s) = %s, want %s", wei, got, want)
		}
	}
}
