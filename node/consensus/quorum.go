package consensus

// threshold is a strict fraction of the total stake: reached(sum, total) is
// sum/total > num/den, computed without division. Totals are bounded by
// MaxTotalPower, so sum*den cannot overflow.
type threshold struct{ num, den int64 }

var (
	// twoThirds is the paper's 2f+1: more than 2/3 of the stake.
	twoThirds = threshold{2, 3}
	// oneThird is the paper's f+1: more than 1/3 of the stake, so at least
	// one honest validator is among the senders.
	oneThird = threshold{1, 3}
	// oneHalf is WRONG for consensus; only the checker-can-fail test uses it.
	oneHalf = threshold{1, 2}
)

func (t threshold) reached(sum, total int64) bool { return sum*t.den > total*t.num }
