package consensus

import "time"

// Config holds the machine's parameters. Timeouts grow linearly with the
// round (base + round*delta), so after GST every step eventually lasts long
// enough for honest messages to arrive.
type Config struct {
	TimeoutPropose        time.Duration
	TimeoutProposeDelta   time.Duration
	TimeoutPrevote        time.Duration
	TimeoutPrevoteDelta   time.Duration
	TimeoutPrecommit      time.Duration
	TimeoutPrecommitDelta time.Duration
	// MaxRoundsAhead bounds how far beyond its current round the machine
	// keeps messages; later ones are dropped (a peer cannot make it allocate
	// unbounded rounds). Zero means DefaultMaxRoundsAhead.
	MaxRoundsAhead Round

	// Test-only rule breaking, set through export_test.go, so the simulator's
	// checker can be shown to catch a broken rule.
	testBreakIgnoreLock bool
	testBreakQuorumHalf bool
}

// DefaultMaxRoundsAhead is the default for Config.MaxRoundsAhead.
const DefaultMaxRoundsAhead Round = 64

// DefaultConfig returns timeouts suited to a LAN devnet.
func DefaultConfig() Config {
	return Config{
		TimeoutPropose:        time.Second,
		TimeoutProposeDelta:   500 * time.Millisecond,
		TimeoutPrevote:        500 * time.Millisecond,
		TimeoutPrevoteDelta:   250 * time.Millisecond,
		TimeoutPrecommit:      500 * time.Millisecond,
		TimeoutPrecommitDelta: 250 * time.Millisecond,
		MaxRoundsAhead:        DefaultMaxRoundsAhead,
	}
}

// timeoutPropose is the paper's timeoutPropose(round).
func (c Config) timeoutPropose(r Round) time.Duration {
	return c.TimeoutPropose + time.Duration(r)*c.TimeoutProposeDelta
}

// timeoutPrevote is the paper's timeoutPrevote(round).
func (c Config) timeoutPrevote(r Round) time.Duration {
	return c.TimeoutPrevote + time.Duration(r)*c.TimeoutPrevoteDelta
}

// timeoutPrecommit is the paper's timeoutPrecommit(round).
func (c Config) timeoutPrecommit(r Round) time.Duration {
	return c.TimeoutPrecommit + time.Duration(r)*c.TimeoutPrecommitDelta
}

func (c Config) maxRoundsAhead() Round {
	if c.MaxRoundsAhead <= 0 {
		return DefaultMaxRoundsAhead
	}
	return c.MaxRoundsAhead
}

func (c Config) quorum() threshold {
	if c.testBreakQuorumHalf {
		return oneHalf
	}
	return twoThirds
}
