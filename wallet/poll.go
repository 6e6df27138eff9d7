package wallet

import (
	"context"
	"errors"
	"time"
)

// errPollTimeout is poll's answer when its timeout passes first.
var errPollTimeout = errors.New("timed out")

// pollSpec is one wait: ask fetch every every until done says it is over,
// calling progress every progressEvery.
type pollSpec[T any] struct {
	// timeout bounds the wait (> 0); every and progressEvery are the poll
	// and progress intervals (> 0).
	timeout, every, progressEvery time.Duration
	// fetch asks once. An error that fatal accepts ends the wait; others
	// are remembered and asked again (a node restarting).
	fetch func(ctx context.Context) (T, error)
	fatal func(error) bool
	// done reports whether an answer ends the wait.
	done func(T) bool
	// progress, if set, receives the time waited and left and the last
	// answer and failure.
	progress func(waited, left time.Duration, last T, seen bool, lastErr error)
}

// pollResult is where a wait ended: the last answer (seen is false before
// any) and the last failure since it.
type pollResult[T any] struct {
	last    T
	seen    bool
	lastErr error
}

// poll waits as s says. It returns nil once done holds, the fatal error,
// an error wrapping errPollTimeout when the timeout passes, or ctx's.
func poll[T any](parent context.Context, s pollSpec[T]) (pollResult[T], error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(parent, s.timeout)
	defer cancel()
	ask := time.NewTicker(s.every)
	defer ask.Stop()
	report := time.NewTicker(s.progressEvery)
	defer report.Stop()
	var res pollResult[T]
	for {
		v, err := s.fetch(ctx)
		switch {
		case err == nil:
			res.last, res.seen, res.lastErr = v, true, nil
			if s.done(v) {
				return res, nil
			}
		case s.fatal != nil && s.fatal(err):
			return res, err
		case ctx.Err() == nil:
			res.lastErr = err
		}
		if err := s.await(ctx, parent, ask, report, start, &res); err != nil {
			return res, err
		}
	}
}

// await waits for the next ask, reporting progress meanwhile; it returns
// errPollTimeout or the parent's error when the wait ends first.
func (s *pollSpec[T]) await(ctx, parent context.Context, ask, report *time.Ticker, start time.Time, res *pollResult[T]) error {
	for {
		select {
		case <-ctx.Done():
			if parent.Err() == nil {
				return errPollTimeout
			}
			return parent.Err()
		case <-report.C:
			if s.progress != nil {
				waited := time.Since(start)
				s.progress(waited, max(s.timeout-waited, 0), res.last, res.seen, res.lastErr)
			}
		case <-ask.C:
			return nil
		}
	}
}
