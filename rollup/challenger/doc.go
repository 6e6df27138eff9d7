// Package challenger proves wrong outputs on L1: a pure solver decides,
// from what the verifier (rollup/verifier) found, whether and what to
// challenge; an agent builds the fraud proof (the disputed block and its
// parent as posted, their Merkle paths, the witness of re-executing the
// block) and sends it in one L1 transaction, then watches the outcome.
//
// Because the sequencer commits an output after every L2 block, the first
// wrong output is proven by re-executing that one block: there is no
// bisection game, and the dispute is over in the L1 block that carries
// the challenge (DESIGN §7).
package challenger
