package devnet

import (
	"errors"
	"fmt"
	"github.com/bilayer/bilayer/internal/waitfor"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestChallengerPortsAndArgs(t *testing.T) {
	if got, want := ChallengerPorts(0), (Ports{RPC: 9546, Metrics: 7061}); got != want {
		t.Fatalf("ChallengerPorts(0) = %+v, want %+v", got, want)
	}
	if got := ChallengerPorts(300).List(); !slices.Equal(got, []int{9846, 7361}) {
		t.Fatalf("ChallengerPorts(300).List() = %v", got)
	}
	// Every port of a devnet is distinct, the largest included.
	seen := map[int]string{}
	for i := range MaxValidators {
		for _, p := range PortsFor(i, 0).List() {
			seen[p] = NodeName(i)
		}
	}
	for name, p := range map[string]Ports{SequencerName: SequencerPorts(0), ChallengerName: ChallengerPorts(0)} {
		for _, port := range p.List() {
			if other, ok := seen[port]; ok {
				t.Fatalf("port %d of %s is also %s's", port, name, other)
			}
			seen[port] = name
		}
	}

	l := Layout{Dir: "/d"}
	args, err := ChallengerRunArgs(l, withSequencer(testConfig(ModeLocal)))
	if err != nil {
		t.Fatal(err)
	}
	// It follows validator 1 (the sequencer follows validator 0) and
	// needs no init: the genesis is given.
	want := []string{"run", "--datadir", "/d/challenger", "--genesis", "/d/genesis.json",
		"--l1.rpc", "http://127.0.0.1:8556", "--rpc.addr", "127.0.0.1:9556", "--metrics.addr", "127.0.0.1:7071"}
	if !slices.Equal(args, want) {
		t.Fatalf("ChallengerRunArgs =\n%q\nwant\n%q", args, want)
	}
	one := withSequencer(testConfig(ModeLocal))
	one.Validators, one.Nodes = 1, one.Nodes[:1]
	if args, err := ChallengerRunArgs(l, one); err != nil || !slices.Contains(args, "http://127.0.0.1:8555") {
		t.Fatalf("one validator: %q, %v; want it to follow validator 0", args, err)
	}
	args, err = ChallengerRunArgs(Layout{Dir: "/devnet"}, withSequencer(testConfig(ModeDocker)))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, w := range []string{"--l1.rpc http://validator-1:8545", "--rpc.addr 0.0.0.0:9546", "--metrics.addr 0.0.0.0:7061",
		"--datadir /devnet/challenger", "--genesis /devnet/genesis.json"} {
		if !strings.Contains(joined, w) {
			t.Errorf("docker args %q lack %q", joined, w)
		}
	}
	if _, err := ChallengerRunArgs(l, testConfig(ModeLocal)); !errors.Is(err, ErrNoSequencer) {
		t.Fatalf("a devnet without a rollup: %v", err)
	}
	e := ChallengerEndpoint(l, withSequencer(testConfig(ModeLocal)))
	if e.Role != RoleChallenger || e.Name != ChallengerName || e.RPC != "http://127.0.0.1:9556" || e.WS != "ws://127.0.0.1:9556" ||
		e.Metrics != "http://127.0.0.1:7071/metrics" || e.Log != "/d/logs/challenger.log" || e.Datadir != "/d/challenger" ||
		e.L1RPC != "http://127.0.0.1:8556" || e.P2P != "" || e.Address != "" {
		t.Fatalf("challenger endpoint %+v", e)
	}
	eps := Endpoints{Nodes: []Endpoint{LocalEndpoint(l, testConfig(ModeLocal), 0), SequencerEndpoint(l, withSequencer(testConfig(ModeLocal))), e}}
	if got, ok := eps.Challenger(); !ok || got != e {
		t.Fatalf("Endpoints.Challenger() = %+v, %v", got, ok)
	}
	if _, ok := (Endpoints{Nodes: eps.Nodes[:2]}).Challenger(); ok {
		t.Fatal("Endpoints.Challenger() found one in a devnet without it")
	}
}

func TestCheckChallengerPortsFreeNamesTheChallenger(t *testing.T) {
	offset := 3000 + os.Getpid()%1000
	for CheckChallengerPortsFree(offset) != nil {
		offset += 97
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ChallengerPorts(offset).Metrics))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = CheckChallengerPortsFree(offset)
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), "challenger") {
		t.Fatalf("CheckChallengerPortsFree = %v, want ErrPortInUse naming the challenger", err)
	}
}

func TestSummaryShowsTheChallenger(t *testing.T) {
	l := Layout{Dir: "/d"}
	cfg := withSequencer(testConfig(ModeLocal)) // port offset 10
	eps := Endpoints{ChainID: L1ChainID, L2ChainID: L2ChainID, Datadir: l.Dir}
	for i := range cfg.Validators {
		eps.Nodes = append(eps.Nodes, LocalEndpoint(l, cfg, i))
	}
	ch := ChallengerEndpoint(l, cfg)
	ch.PID = 4343
	eps.Nodes = append(eps.Nodes, SequencerEndpoint(l, cfg), ch)
	var out strings.Builder
	if err := WriteSummary(&out, SummaryInfo{Endpoints: eps, Heads: []uint64{3}, DevnetCmd: "devnet"}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"3 validators, a sequencer and a challenger, L1 chain id 1337, L2 chain id 1338",
		"challenger   L2 RPC http://127.0.0.1:9556", "pid 4343", "follows the L1 at http://127.0.0.1:8556",
		"Challenger on http://127.0.0.1:9556: derives the L2 from the L1 alone and verifies every posted output",
		"rollup_syncStatus",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

// The challenger runs under the same supervisor as the sequencer, logs as
// "[challenger]", and Stop stops it with the sequencer, before any
// validator.
func TestSupervisorStopsTheChallengerBeforeTheValidators(t *testing.T) {
	dir := t.TempDir()
	l := Layout{Dir: filepath.Join(dir, "d")}
	order := filepath.Join(dir, "order")
	node := func(name string) string {
		bin := filepath.Join(dir, name)
		writeScript(t, bin, fmt.Sprintf("trap 'echo %s >> %s; exit 0' INT\necho up\nwhile :; do sleep 0.05; done\n", name, order))
		return bin
	}
	cfg := withSequencer(testConfig(ModeLocal))
	var term syncBuilder
	sup, err := Start(SuperviseOptions{Layout: l, Config: cfg, ValidatorBin: node("validator"), SequencerBin: node("sequencer"),
		ChallengerBin: node("challenger"), Terminal: &term})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Stop(5 * time.Second)
	if err := sup.StartSequencer(); err != nil {
		t.Fatal(err)
	}
	if err := sup.StartChallenger(); err != nil {
		t.Fatal(err)
	}
	if pids := sup.PIDs(); len(pids) != 3 || sup.PID(ChallengerName) == 0 || slices.Contains(pids, sup.PID(ChallengerName)) {
		t.Fatalf("validator pids %v, challenger %d", pids, sup.PID(ChallengerName))
	}
	waitfor.Until(t, 20*time.Second, func() error {
		if !strings.Contains(term.String(), "[challenger] up") || strings.Count(term.String(), "] up") < 5 {
			return fmt.Errorf("nodes did not start: %q", term.String())
		}
		return nil
	})
	if err := sup.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(order)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(data))
	if len(lines) != 5 || !slices.Contains(lines[:2], "challenger") || !slices.Contains(lines[:2], "sequencer") {
		t.Fatalf("stop order %q, want the sequencer and the challenger first, then 3 validators", lines)
	}
	if log, err := os.ReadFile(l.LogFile(ChallengerName)); err != nil || !strings.Contains(string(log), "up") {
		t.Fatalf("challenger log %q, %v", log, err)
	}
}
