package consensus

// Test-only switches that break one rule of the algorithm on purpose, so the
// simulator's checker can be shown to find the resulting violations.

// withBrokenLock makes prevote rules (lines 22-33) ignore lockedValue.
func withBrokenLock(c Config) Config { c.testBreakIgnoreLock = true; return c }

// withBrokenQuorum makes every 2f+1 quorum a simple majority (1/2 instead of 2/3).
func withBrokenQuorum(c Config) Config { c.testBreakQuorumHalf = true; return c }
