// Package example is a small system contract, Counter, that exists only to
// test the syscontract framework and the executor: a nonpayable method with
// an event (increment), a payable one (deposit), a transfer out (withdraw),
// views (count, depositOf, endBlocks), a revert after a write (fail), metered
// gas (spin), large calldata (echo), a write attempted in a view
// (writeInView) and an end-of-block hook. It is not deployed on any chain.
package example
