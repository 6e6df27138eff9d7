package loadgen

import (
	"runtime"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/sys/unix"
)

// The cores' speed gauge. A shared host can slow a guest's cores without
// taking their time (steal): SMT siblings busy with a neighbour's work
// make each second of CPU get less done. In session 37 two runs missed
// goal 2 with no steal to speak of while the state transition read
// 221–222 µs per transfer against 176–187 in the runs that met it. The
// gauge times a fixed piece of work in the CPU time of the thread doing
// it (not wall time, so neither steal nor waiting for a core counts):
// Keccak-256 hashing, as a validator does for every transaction and trie
// node. It is compute alone, on a few KiB: a first version also read at
// random over 16 MiB, and then measured whether that buffer was still in
// the caches (0.40–0.50 of its idle speed in every step, the lightest
// included, since the idle machine timed it back to back) rather than the
// cores.

// gaugeHashBytes sizes one piece of the gauge's work (about 2 ms on this
// project's machines): Keccak-256 over it in 4 KiB pieces.
const gaugeHashBytes = 256 << 10

// GaugeIdleRuns is how many pieces of the gauge's work a bench times on
// the idle machine, before anything runs, for the figure its steps'
// gauges are compared with (Speed).
const GaugeIdleRuns = 21

// GaugeInterval is how often a step times the gauge's work: about 0.4 %
// of one core for the load generator.
const GaugeInterval = 500 * time.Millisecond

// gaugeWork does one piece of the gauge's work and returns a value that
// depends on all of it, so that none of it is optimised away.
func gaugeWork() uint64 {
	piece := make([]byte, 4096)
	var sum []byte
	for range gaugeHashBytes / len(piece) {
		sum = crypto.Keccak256(piece, sum)
		piece[0] = sum[0]
	}
	return uint64(sum[1])
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}

// GaugeOnce times one piece of the gauge's work in the CPU time of the
// thread that did it.
func GaugeOnce() (time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, err := threadCPU()
	if err != nil {
		return 0, err
	}
	sink := gaugeWork()
	t1, err := threadCPU()
	if err != nil {
		return 0, err
	}
	runtime.KeepAlive(sink) // the work's result is used: none of it is optimised away
	return t1 - t0, nil
}

// GaugeMedian times n pieces of the gauge's work one after the other and
// returns the median: the gauge on an idle machine, the figure a step's
// is compared with.
func GaugeMedian(n int) (time.Duration, error) {
	var samples []time.Duration
	for range max(1, n) {
		d, err := GaugeOnce()
		if err != nil {
			return 0, err
		}
		samples = append(samples, d)
	}
	return medianDuration(samples), nil
}

// Speed is the cores' speed while gauge was read, against idle: the
// gauge's CPU time on the idle machine over gauge (1: as fast as idle; a
// bench's own load lowers it too, so loaded steps compare with each
// other), or 0 if either was not read.
func Speed(idle, gauge time.Duration) float64 {
	if idle <= 0 || gauge <= 0 {
		return 0
	}
	return idle.Seconds() / gauge.Seconds()
}

func medianDuration(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// StartGauge times the gauge's work every interval until stop is called,
// which returns the median (0 if no piece was timed).
func StartGauge(interval time.Duration) (stop func() time.Duration) {
	done := make(chan struct{})
	result := make(chan time.Duration, 1)
	go func() {
		// The first piece at once: a step stopped early still reads one.
		var samples []time.Duration
		if d, err := GaugeOnce(); err == nil {
			samples = append(samples, d)
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				result <- medianDuration(samples)
				return
			case <-t.C:
				if d, err := GaugeOnce(); err == nil {
					samples = append(samples, d)
				}
			}
		}
	}()
	return func() time.Duration {
		close(done)
		return <-result
	}
}
