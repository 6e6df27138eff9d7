// Package l1bench is `make bench` for the L1: it measures, in one run, the
// per-transaction cost of the state transition on one core (and from it the
// throughput ceiling of N validators on this machine), then starts a real
// devnet of N validator processes, searches for the finalized throughput
// with the load generator, and reports it beside the ceiling with the
// block interval, inclusion latency, devnet start time and memory per node.
//
// Each step records the cores used by the load generator (this process),
// by each validator and by every other process; the ceiling is also given
// on the cores the load generator left to the validators, labelled as
// such (the goal is measured against the plain ceiling). After the search
// a fresh devnet replays the search's steps up to the peak's, then the
// peak's step itself (--l1-peak-replays): the peak is the mean of that
// step's samples, since the best of several noisy steps is biased up.
// Then (issue 17), on another fresh devnet replayed the same way, one
// step offers twice the peak for twice a step's duration
// (the excess outgrows the pools; --l1-plateau-steps) — the plateau: what is finalized then,
// the block interval, what admission refused ("txpool is full") — and the
// validators' resident memory is read right after it, under that
// saturating load; a last step at half the peak gives the inclusion
// latency. Every step, the search's included, starts once the pools have
// drained, with the load accounts' nonces read again: a rate is not
// measured behind the previous one's backlog.
package l1bench
