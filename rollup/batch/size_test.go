package batch

import (
	"testing"
)

// transfers is the size of the measured block: 1,000 transfers, the
// devnet's per-block cap.
const transfers = 1000

// TestBytesPerTransfer measures the L1 bytes a random-recipient transfer
// costs in a 1,000-transfer batch, and holds it within 1 B of the
// information the test's transfers carry: r (32 B), s (255 bits: a
// canonical s is below n/2), the y parity (1 bit), the recipient (20 B),
// the nonce (3 bits), which of four fee caps (2 bits), and the value:
// 59.6 bits for 18 random decimal digits (a 92.08 B floor), 19.9 bits for
// a wallet amount of six decimals (87.12 B, inside DESIGN's 90 B).
func TestBytesPerTransfer(t *testing.T) {
	floors := map[string]float64{"random18digits": 92.08, "walletAmounts": 87.12}
	for _, p := range transferProfiles {
		t.Run(p.name, func(t *testing.T) {
			rng := newRand(1)
			b := transferBlock(t, rng, newKeys(t, rng, transfers), p)
			data, err := Encode(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(data, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			checkSameBatch(t, b, got)
			per := float64(len(data)) / transfers
			floor := floors[p.name]
			t.Logf("%s: %d bytes for %d transfers: %.2f B/transfer (floor %.2f)", p.name, len(data), transfers, per, floor)
			if per > floor+1 {
				t.Errorf("%.2f B per transfer > %.2f + 1", per, floor)
			}
			if p.name == "walletAmounts" && per > 90 {
				t.Errorf("%.2f B per transfer > 90", per)
			}
		})
	}
}

// BenchmarkTransfers reports, for a 1,000-transfer batch, the L1 bytes per
// transfer and the encode (with a reused Encoder) and decode time per
// transfer.
func BenchmarkTransfers(b *testing.B) {
	for _, p := range transferProfiles {
		b.Run(p.name, func(b *testing.B) {
			rng := newRand(1)
			batch := transferBlock(b, rng, newKeys(b, rng, transfers), p)
			data, err := Encode(batch)
			if err != nil {
				b.Fatal(err)
			}
			enc, err := NewEncoder()
			if err != nil {
				b.Fatal(err)
			}
			b.Run("encode", func(b *testing.B) {
				for b.Loop() {
					if _, err := enc.Encode(batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/transfers, "ns/transfer")
				b.ReportMetric(float64(len(data))/transfers, "B/transfer")
			})
			b.Run("decode", func(b *testing.B) {
				lim := DefaultLimits()
				for b.Loop() {
					if _, err := Decode(data, lim); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/transfers, "ns/transfer")
				b.ReportMetric(float64(len(data))/transfers, "B/transfer")
			})
		})
	}
}
