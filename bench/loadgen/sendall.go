package loadgen

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
)

// connLoad is one connection's share of a load: its accounts' transfers in
// nonce order, and for each account the next one to offer.
type connLoad struct {
	lists  [][]signedTx
	cursor []int
	rr     int // the account the round robin takes next
	left   int // transfers not yet accepted
	total  int
}

func newConnLoad(load *Load, conn, conns int) *connLoad {
	q := &connLoad{}
	for ai := conn; ai < len(load.perAccount); ai += conns {
		if l := load.perAccount[ai]; len(l) > 0 {
			q.lists = append(q.lists, l)
			q.total += len(l)
		}
	}
	q.cursor = make([]int, len(q.lists))
	q.left = q.total
	return q
}

// take returns up to n transfers, at most one per account, round robin
// over the accounts with transfers left that are not in skip, with the
// index of each one's account.
func (q *connLoad) take(n int, skip map[int]bool) ([]signedTx, []int) {
	var batch []signedTx
	var idx []int
	for range len(q.lists) {
		if len(batch) == n {
			break
		}
		li := q.rr
		q.rr = (q.rr + 1) % len(q.lists)
		if skip[li] || q.cursor[li] == len(q.lists[li]) {
			continue
		}
		batch = append(batch, q.lists[li][q.cursor[li]])
		idx = append(idx, li)
		skip[li] = true // one per account per batch: its next nonce waits for this one's answer
	}
	return batch, idx
}

// poolFull reports whether a refusal says the pool had no room: a client
// offers the same transaction again later, as a wallet would.
func poolFull(err error) bool { return strings.Contains(err.Error(), "txpool is full") }

// sendAll offers the load at the configured rate over several connections;
// each account belongs to one connection, so its nonces arrive in order.
// Every offer counts against the rate, retries included, and sending stops
// when the load's duration at that rate is over. A transaction refused
// because the pool was full is offered again at the connection's next send
// (the account's later ones wait behind it); one refused for any other
// reason ends its account's part of the load (its later nonces could never
// execute). It returns the distinct transactions offered, those accepted,
// and the refusals.
func sendAll(ctx context.Context, cfg Config, load *Load, w *watcher) (sent, accepted, errs int, firstErr error) {
	var sentN, acceptedN, errN atomic.Int64
	var errOnce sync.Once
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	var wg sync.WaitGroup
	perConn := cfg.Rate / float64(cfg.Connections)
	interval := cfg.SendInterval
	if interval <= 0 {
		interval = 10 * time.Millisecond
	}
	clock := cfg.now
	if clock == nil {
		clock = time.Now
	}
	for c := range cfg.Connections {
		q := newConnLoad(load, c, cfg.Connections)
		if q.total == 0 {
			continue
		}
		url := cfg.URLs[c%len(cfg.URLs)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw := newRawSender(url)
			var client *rpc.Client
			if raw == nil {
				c, err := rpc.DialContext(ctx, url)
				if err != nil {
					fail(err)
					errN.Add(int64(q.total))
					return
				}
				defer c.Close()
				client = c
			}
			offered := make([]int, len(q.lists)) // per account: transfers offered at least once
			dead := map[int]bool{}
			start := clock()
			end := start.Add(time.Duration(float64(q.total) / perConn * float64(time.Second)))
			tick := time.NewTicker(interval)
			defer tick.Stop()
			attempts := 0
			for q.left > 0 && ctx.Err() == nil {
				passAt := clock()
				due := min(int(passAt.Sub(start).Seconds()*perConn), q.total)
				// Accounts refused at this send wait for the next one.
				skip := map[int]bool{}
				for li := range dead {
					skip[li] = true
				}
				for attempts < due {
					batch, idx := q.take(min(batchSize, due-attempts), skip)
					if len(batch) == 0 {
						break
					}
					for _, li := range idx {
						if q.cursor[li] == offered[li] {
							offered[li]++
							sentN.Add(1)
						}
					}
					w.markSentAll(batch, time.Now())
					attempts += len(batch)
					txErrs, err := sendBatch(ctx, raw, client, batch)
					if err != nil {
						fail(err)
						errN.Add(int64(len(batch)))
						continue // offered again at the next send
					}
					for i, e := range txErrs {
						li := idx[i]
						switch {
						case e == nil:
							q.cursor[li]++
							q.left--
							acceptedN.Add(1)
						case poolFull(e):
							fail(e)
							errN.Add(1)
						default:
							fail(e)
							errN.Add(1)
							dead[li] = true
							q.left -= len(q.lists[li]) - q.cursor[li]
						}
					}
				}
				// Once the window has closed every offer is due: the
				// passes go on (one transfer per account each) until the
				// load's offers are spent, retries included. Each such pass
				// offers at least one, since an account with transfers left
				// is not dead. Checked after a pass, not by the clock before
				// it: a send answered after the window closed must not end
				// the load with transfers never offered.
				if !passAt.Before(end) && attempts >= q.total {
					break
				}
				select {
				case <-ctx.Done():
				case <-tick.C:
				}
			}
		}()
	}
	wg.Wait()
	return int(sentN.Load()), int(acceptedN.Load()), int(errN.Load()), firstErr
}
