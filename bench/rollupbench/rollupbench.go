// Package rollupbench measures the rollup's costs that do not need a
// running devnet, by running the Go benchmarks that own them: the L1
// bytes per L2 transfer of the batch codec (beside the entropy floor),
// its encode and decode cost, how fast a verifier derives the L2 from L1
// data, and the L1 verification of a fraud proof against a full block;
// and, on an in-process rollup (devnet/inproc) with the devnet's timing,
// how long a batch with a wrong output stands before the challenger's
// one-transaction proof rolls it back, how long a deposit takes from its
// L1 block to its L2 credit, and how long after its batch's challenge
// window a withdrawal is paid on the L1. The figures go into `make
// bench`'s table; targets are printed, never enforced.
package rollupbench

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"github.com/bilayer/bilayer/devnet/inproc"
)

// Report holds the measured figures.
type Report struct {
	BytesPerTransferRandom float64 `json:"rollup_batch_bytes_per_transfer_random_value"`
	BytesPerTransferWallet float64 `json:"rollup_batch_bytes_per_transfer_wallet_amount"`
	EncodeNsPerTransfer    float64 `json:"rollup_batch_encode_ns_per_transfer"`
	DecodeNsPerTransfer    float64 `json:"rollup_batch_decode_ns_per_transfer"`
	DerivationBlocksPerSec float64 `json:"rollup_derivation_blocks_per_s"`
	DerivationTxPerSec     float64 `json:"rollup_derivation_tx_per_s"`
	ChallengeMsPerVerify   float64 `json:"rollup_challenge_verify_ms"`
	ChallengeWitnessBytes  float64 `json:"rollup_challenge_witness_bytes"`
	ChallengeProofBytes    float64 `json:"rollup_challenge_proof_bytes"`
	ChallengeGas           float64 `json:"rollup_challenge_gas"`
	// RollbackMs and RollbackL1Blocks are the median time and L1 blocks
	// from the acceptance of a batch with a wrong output to the
	// challenge that deletes it (measureRollback).
	RollbackMs       float64 `json:"rollup_bad_batch_to_rollback_ms"`
	RollbackL1Blocks float64 `json:"rollup_bad_batch_to_rollback_l1_blocks"`
	// The bridge's latencies (measureBridge), medians of BridgeSamples:
	// a deposit from its L1 block (DepositMs) and from sending it
	// (DepositSendMs) to its L2 credit; a withdrawal's payout in L1 blocks
	// beyond its batch's window and from the batch's acceptance, and in
	// seconds from its L2 transaction to the acceptance and to the payout.
	DepositMs                    float64            `json:"rollup_deposit_latency_ms"`
	DepositSendMs                float64            `json:"rollup_deposit_send_to_credit_ms"`
	WithdrawalBeyondWindow       float64            `json:"rollup_withdrawal_beyond_window_l1_blocks"`
	WithdrawalAcceptanceToPayout float64            `json:"rollup_withdrawal_acceptance_to_payout_l1_blocks"`
	WithdrawalToAcceptanceS      float64            `json:"rollup_withdrawal_l2_tx_to_acceptance_s"`
	WithdrawalToPayoutS          float64            `json:"rollup_withdrawal_l2_tx_to_payout_s"`
	BridgeChallengeWindow        uint64             `json:"rollup_bridge_challenge_window_l1_blocks"`
	BridgeL1BlockTimeS           float64            `json:"rollup_bridge_l1_block_time_s"`
	Deposits                     []DepositSample    `json:"rollup_deposits"`
	Withdrawals                  []WithdrawalSample `json:"rollup_withdrawals"`
	FinishedAt                   string             `json:"rollup_finished_at"`
}

// Targets of DESIGN and the rollup issues.
const (
	TargetBytesPerTransfer = 90
	FloorBytesPerTransfer  = 87
	// FloorBytesRandomValue is the information in a transfer of a random
	// 18-digit wei value: r and s (~64 B), the recipient (20 B) and the
	// value (~7.5 B), measured by rollup/batch's size test.
	FloorBytesRandomValue = 92.08
	TargetChallengeMs     = 100
)

// run runs one Go benchmark in root and returns its output.
func run(ctx context.Context, root, pkg, bench, benchtime string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", bench, "-benchtime", benchtime, pkg)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", pkg, bench, err, out)
	}
	return string(out), nil
}

// metric finds "<value> <unit>" on the line of benchmark name.
func metric(out, name, unit string) (float64, error) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `[-0-9]*\s.*?([0-9.]+) ` + regexp.QuoteMeta(unit))
	m := re.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("benchmark %s printed no %s", name, unit)
	}
	return strconv.ParseFloat(m[1], 64)
}

// Run measures every figure (about two and a half minutes on 2 cores).
func Run(ctx context.Context, root string, log io.Writer) (*Report, error) {
	r := &Report{}
	fmt.Fprintln(log, "rollup: batch codec, derivation and fraud-proof benchmarks")
	out, err := run(ctx, root, "./rollup/batch", "^BenchmarkTransfers$", "20x")
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		dst        *float64
		name, unit string
	}{
		{&r.BytesPerTransferRandom, "BenchmarkTransfers/random18digits/encode", "B/transfer"},
		{&r.BytesPerTransferWallet, "BenchmarkTransfers/walletAmounts/encode", "B/transfer"},
		{&r.EncodeNsPerTransfer, "BenchmarkTransfers/random18digits/encode", "ns/transfer"},
		{&r.DecodeNsPerTransfer, "BenchmarkTransfers/random18digits/decode", "ns/transfer"},
	} {
		if *f.dst, err = metric(out, f.name, f.unit); err != nil {
			return nil, err
		}
	}
	if out, err = run(ctx, root, "./rollup/verifier", "^BenchmarkDerivation$", "3x"); err != nil {
		return nil, err
	}
	if r.DerivationBlocksPerSec, err = metric(out, "BenchmarkDerivation", "blocks/s"); err != nil {
		return nil, err
	}
	if r.DerivationTxPerSec, err = metric(out, "BenchmarkDerivation", "tx/s"); err != nil {
		return nil, err
	}
	if out, err = run(ctx, root, "./rollup/contract", "^BenchmarkChallengeVerification$", "3x"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		dst  *float64
		unit string
	}{{&r.ChallengeMsPerVerify, "ms/verify"}, {&r.ChallengeWitnessBytes, "witness-bytes"}, {&r.ChallengeProofBytes, "proof-bytes"}, {&r.ChallengeGas, "gas"}} {
		if *f.dst, err = metric(out, "BenchmarkChallengeVerification", f.unit); err != nil {
			return nil, err
		}
	}
	if err := r.measureRollback(ctx, log); err != nil {
		return nil, err
	}
	if err := r.measureBridge(ctx, inproc.DevnetOptions(), log); err != nil {
		return nil, err
	}
	r.FinishedAt = time.Now().UTC().Format(time.RFC3339)
	return r, nil
}

func mark(ok bool) string {
	if ok {
		return "✅ met"
	}
	return "❌ missed"
}

// Markdown prints the report as a markdown table.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\n### Rollup\n\n| metric | value | target |\n|---|---:|---|\n")
	fmt.Fprintf(w, "| L1 bytes per L2 transfer, random 18-digit values (their floor: %.1f B) | %.2f B | ≤ %d B %s |\n",
		FloorBytesRandomValue, r.BytesPerTransferRandom, TargetBytesPerTransfer, mark(r.BytesPerTransferRandom <= TargetBytesPerTransfer))
	fmt.Fprintf(w, "| L1 bytes per L2 transfer, wallet amounts (floor ~%d B: signature, recipient, a short value) | %.2f B | ≤ %d B %s |\n",
		FloorBytesPerTransfer, r.BytesPerTransferWallet, TargetBytesPerTransfer, mark(r.BytesPerTransferWallet <= TargetBytesPerTransfer))
	fmt.Fprintf(w, "| batch encode / decode per transfer | %.0f / %.0f ns | |\n", r.EncodeNsPerTransfer, r.DecodeNsPerTransfer)
	fmt.Fprintf(w, "| derivation (verifier catch-up, 100 transfers per block) | %.0f blocks/s (%.0f tx/s) | |\n", r.DerivationBlocksPerSec, r.DerivationTxPerSec)
	fmt.Fprintf(w, "| fraud proof against a full block (1,000 transfers, 100k accounts): L1 verification | %.0f ms | ≤ %d ms %s |\n",
		r.ChallengeMsPerVerify, TargetChallengeMs, mark(r.ChallengeMsPerVerify <= TargetChallengeMs))
	fmt.Fprintf(w, "| fraud proof size: witness / whole proof; gas | %.0f / %.0f B; %.0f |\n", r.ChallengeWitnessBytes, r.ChallengeProofBytes, r.ChallengeGas)
	r.rollbackRow(w)
	r.bridgeRows(w)
}
