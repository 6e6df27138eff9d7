package l2bench

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/devnet"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// benchPorts are the loopback ports of one run.
type benchPorts struct {
	offset             int // the validator's devnet port offset
	seqRPC, seqMetrics int
}

// freePorts finds a devnet port offset at which the validator's ports and
// the sequencer's (9545 and 7060 shifted by the same offset) are free
// (devnet.FreeOffset: below the kernel's ephemeral ports where it can).
func freePorts() (benchPorts, error) {
	offset, err := devnet.FreeOffset(1, 1100, 21000, 151)
	if err != nil {
		return benchPorts{}, fmt.Errorf("l2 bench: %w", err)
	}
	p := devnet.SequencerPorts(offset)
	return benchPorts{offset: offset, seqRPC: p.RPC, seqMetrics: p.Metrics}, nil
}

// waitL2 waits until the sequencer answers eth_chainId and returns it.
func waitL2(ctx context.Context, url string, p *process, timeout time.Duration) (*big.Int, error) {
	deadline := time.Now().Add(timeout)
	for {
		if id, err := chainID(ctx, url); err == nil {
			return id, nil
		}
		if p.exited() {
			return nil, errors.New("the sequencer exited before it served its RPC")
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the sequencer did not answer at %s within %s", url, timeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func chainID(ctx context.Context, url string) (*big.Int, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var id hexutil.Big
	if err := c.CallContext(ctx, &id, "eth_chainId"); err != nil {
		return nil, err
	}
	return id.ToInt(), nil
}

// waitIdle waits until the sequencer has drained its pool: no new block
// with transactions for a second (four block times), so the next step does
// not start behind a backlog.
func waitIdle(ctx context.Context, url string, timeout time.Duration) error {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return fmt.Errorf("wait for an idle sequencer: %w", err)
	}
	defer c.Close()
	deadline := time.Now().Add(timeout)
	quietSince := time.Now()
	var last hexutil.Uint64
	for time.Since(quietSince) < time.Second {
		var blk struct {
			Number       hexutil.Uint64 `json:"number"`
			Transactions []string       `json:"transactions"`
		}
		if err := c.CallContext(ctx, &blk, "eth_getBlockByNumber", "latest", false); err != nil {
			return fmt.Errorf("wait for an idle sequencer: %w", err)
		}
		if blk.Number != last && len(blk.Transactions) > 0 {
			quietSince = time.Now()
		}
		last = blk.Number
		if time.Now().After(deadline) {
			return fmt.Errorf("the sequencer still made blocks with transactions %s after the load stopped", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// notQuiet reports whether other processes, or the hypervisor (a shared
// host running another guest on this machine's cores), took quietCores or
// more during step r: the search offers such a step once more.
func notQuiet(r loadgen.Result) bool {
	return r.CPU[loadgen.OtherProcesses] >= quietCores || r.StolenCores >= quietCores
}

// quietCores is how many cores other processes may use for the machine to
// count as quiet.
const quietCores = 0.3

// waitQuiet waits, up to limit, until processes other than own (pid 0:
// this one) use less than quietCores over a second, so a step does not
// measure someone else's compile. It never fails the run: when the machine
// stays busy it says so and returns; each step records what others used.
func waitQuiet(ctx context.Context, own []int, limit time.Duration, logf func(string, ...any)) error {
	deadline := time.Now().Add(limit)
	waited := false
	for {
		others, err := otherCores(ctx, own, time.Second)
		if err != nil {
			return nil // no /proc: nothing to wait for
		}
		if others < quietCores {
			if waited {
				logf("  quiet now (other processes %.2f cores)", others)
			}
			return nil
		}
		if time.Now().After(deadline) {
			logf("  the machine stays busy: other processes use %.2f cores; measuring anyway", others)
			return nil
		}
		if !waited {
			logf("  waiting up to %s for the machine to quiet down (other processes use %.2f cores)...", limit, others)
			waited = true
		}
	}
}

// otherCores measures, over window, the cores used by every process but
// own.
func otherCores(ctx context.Context, own []int, window time.Duration) (float64, error) {
	read := func() (time.Duration, error) {
		busy, err := loadgen.MachineBusy()
		if err != nil {
			return 0, err
		}
		for _, pid := range own {
			t, err := loadgen.ProcessCPU(pid)
			if err != nil {
				return 0, err
			}
			busy -= t
		}
		return busy, nil
	}
	t0, err := read()
	if err != nil {
		return 0, err
	}
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(window):
	}
	t1, err := read()
	if err != nil {
		return 0, err
	}
	return max(0, (t1-t0).Seconds()/window.Seconds()), nil
}
