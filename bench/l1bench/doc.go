// Package l1bench is `make bench` for the L1: it measures, in one run, the
// per-transaction cost of the state transition on one core (and from it the
// throughput ceiling of N validators on this machine), then starts a real
// devnet of N validator processes, searches for the finalized throughput
// with the load generator, and reports it beside the ceiling with the
// block interval, inclusion latency, devnet start time and memory per node.
package l1bench
