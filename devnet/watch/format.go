package watch

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// StatusLine renders the State as the one status line, e.g.
//
//	L1 #1234 (4/4 voting) · L2 unsafe #5678 safe #5600 final #5400 · 3 batches in window · challenger agrees
//
// at most width characters long (width ≤ 0: no limit): the least
// important parts are left out first (the batch count and the
// withdrawals, then the challenger and the pending operations).
func StatusLine(cfg Config, s State, width int) string {
	var parts []part
	add := func(prio int, text string) { parts = append(parts, part{text: text, prio: prio}) }
	switch {
	case !s.L1Seen:
		add(0, "L1 waiting for a validator's RPC")
	case s.L1Stalled:
		add(0, fmt.Sprintf("L1 #%d STALLED (%s voting)", s.L1Head, votingString(s.Voting, s.SetSize)))
	default:
		add(0, fmt.Sprintf("L1 #%d (%s voting)", s.L1Head, votingString(s.Voting, s.SetSize)))
	}
	if seq := cfg.Sequencer; seq != nil {
		heads := fmt.Sprintf("unsafe #%d safe #%d final #%d", s.L2.Unsafe, s.L2.Safe, s.L2.Finalized)
		switch {
		case s.Down[seq.Name]:
			add(0, "L2 sequencer DOWN")
		case !s.L2Seen:
			add(0, "L2 waiting for the sequencer")
		case s.L2Down:
			add(0, "L2 not answering (was "+heads+")")
		default:
			add(0, "L2 "+heads)
		}
		add(2, plural(len(s.Batches), "batch")+" in window")
	}
	if ch := cfg.Challenger; ch != nil {
		v := s.Verifier
		switch {
		case s.Down[ch.Name]:
			add(1, "challenger DOWN")
		case s.ChDown:
			add(1, "challenger not answering")
		case v == nil:
			add(1, "challenger starting")
		case v.Disagreement != nil:
			add(0, fmt.Sprintf("challenger DISAGREES at #%d", v.Disagreement.L2Block))
		case v.Agreed == 0:
			add(1, "challenger checking")
		default:
			add(1, "challenger agrees")
		}
	}
	if n := len(s.Ops); n > 0 {
		what := "deposit"
		for _, p := range s.Ops {
			if p.Op.Kind != block.OpDeposit {
				what = "L1 operation"
			}
		}
		add(1, plural(n, what)+" pending")
	}
	if n := len(s.Withdrawals); n > 0 {
		add(2, plural(n, "withdrawal")+" to pay")
	}
	return fit(parts, " · ", width)
}

// part is a piece of the status line; the higher its prio, the sooner it
// is left out of a narrow line.
type part struct {
	text string
	prio int
}

// fit joins the parts' texts with sep, leaving out parts (the highest
// prio first, the last of equals first, never the first part) and then
// cutting the line until it has at most width characters.
func fit(parts []part, sep string, width int) string {
	join := func() string {
		texts := make([]string, len(parts))
		for i, p := range parts {
			texts[i] = p.text
		}
		return strings.Join(texts, sep)
	}
	line := join()
	if width <= 0 {
		return line
	}
	for len(parts) > 1 && utf8.RuneCountInString(line) > width {
		drop := len(parts) - 1
		for i := len(parts) - 1; i >= 1; i-- {
			if parts[i].prio > parts[drop].prio {
				drop = i
			}
		}
		parts = slices.Delete(parts, drop, drop+1)
		line = join()
	}
	if utf8.RuneCountInString(line) <= width {
		return line
	}
	r := []rune(line)
	if width < 2 {
		return string(r[:max(width, 0)])
	}
	return string(r[:width-1]) + "…"
}

// votingString is "3/4", or "?" before the set is known.
func votingString(voting, size int) string {
	if size == 0 {
		return "?"
	}
	return fmt.Sprintf("%d/%d", voting, size)
}

// plural is "1 transaction", "2 transactions", "3 batches".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "ch") || strings.HasSuffix(noun, "sh") || strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// blockRange is "L2 block 7" or "L2 blocks 7–9".
func blockRange(first, last uint64) string {
	if first == last {
		return fmt.Sprintf("L2 block %d", first)
	}
	return fmt.Sprintf("L2 blocks %d–%d", first, last)
}

// ether formats wei as ETH without trailing zeros ("1.5 ETH").
func ether(wei *big.Int) string {
	if wei == nil {
		return "? ETH"
	}
	s := new(big.Rat).SetFrac(wei, big.NewInt(1e18)).FloatString(18)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	return s + " ETH"
}

// sum returns a + b (nil counts as 0).
func sum(a, b *big.Int) *big.Int {
	out := new(big.Int)
	if a != nil {
		out.Add(out, a)
	}
	if b != nil {
		out.Add(out, b)
	}
	return out
}

// shortAddr is an address as "0xf39F…2266".
func shortAddr(a common.Address) string {
	h := a.Hex()
	return h[:6] + "…" + h[len(h)-4:]
}

// shortHash is a hash as "0x1a2b…9f8e".
func shortHash(h common.Hash) string {
	s := h.Hex()
	return s[:6] + "…" + s[len(s)-4:]
}

// seconds is a duration in seconds with one decimal ("2.4 s").
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// roundDuration is a duration for a person: "0.8 s", "2.4 s", "1m30s".
func roundDuration(d time.Duration) string {
	if d < time.Minute {
		return seconds(d)
	}
	return d.Round(time.Second).String()
}

// about is an approximate duration: "about 30 s", "about 2 min".
func about(d time.Duration) string {
	if d < 2*time.Minute {
		return fmt.Sprintf("about %d s", int(d.Round(time.Second).Seconds()))
	}
	return fmt.Sprintf("about %d min", int(d.Round(time.Minute).Minutes()))
}

// opID names an L1 operation as the wallet does: "<l1 block>/<index>".
func opID(id block.OperationID) string { return fmt.Sprintf("%d/%d", id.L1Block, id.Index) }

// opKindName is how a line names an operation kind.
func opKindName(k block.OpKind) string {
	switch k {
	case block.OpDeposit:
		return "deposit"
	case block.OpForceWithdrawal:
		return "forced withdrawal"
	case block.OpForceTransfer:
		return "forced transfer"
	}
	return k.String()
}

// opSentence says what an operation moves: "2 ETH from A to B on the L2".
func opSentence(op *block.Operation) string {
	if op.Kind == block.OpForceWithdrawal {
		return fmt.Sprintf("%s from %s's L2 account to the L1", ether(op.Amount), shortAddr(op.From))
	}
	return fmt.Sprintf("%s from %s to %s on the L2", ether(op.Amount), shortAddr(op.From), shortAddr(op.To))
}

// activityString is "2 transactions, 1 deposit".
func activityString(a Activity) string {
	var parts []string
	if a.Txs > 0 {
		parts = append(parts, plural(a.Txs, "transaction"))
	}
	if a.Deposits > 0 {
		parts = append(parts, plural(a.Deposits, "deposit"))
	}
	if a.Forced > 0 {
		parts = append(parts, plural(a.Forced, "forced operation"))
	}
	return strings.Join(parts, ", ")
}

// knownContract is a system contract a transaction line names.
type knownContract struct {
	name string
	abi  *abi.ABI
}

// stakingAddress is the L1 staking contract (DESIGN section 12).
var stakingAddress = common.HexToAddress("0x0000000000000000000000000000000000001001")

// contracts are the system contracts, by address.
var contracts = map[common.Address]knownContract{
	stakingAddress:                {name: "staking"},
	contract.Address:              {name: "rollup", abi: contract.ABI()},
	bridge.Address:                {name: "bridge", abi: bridge.ABI()},
	bridge.WithdrawalQueueAddress: {name: "withdrawal queue", abi: withdrawalqueue.ABI()},
}

// describeTx describes transaction h, in full if txs has it:
// "0x1a2b…9f8e: 0xf39F…2266 → 0x0000…dEaD, 1.5 ETH" or
// "0x1a2b…9f8e: 0xDe17…Bcc7 → rollup.bond, 10 ETH".
func describeTx(h common.Hash, txs []TxObs) string {
	for _, tx := range txs {
		if tx.Hash != h {
			continue
		}
		to := "a new contract"
		if tx.To != nil {
			to = shortAddr(*tx.To)
			if c, ok := contracts[*tx.To]; ok {
				to = c.name
				if c.abi != nil && len(tx.Selector) == 4 {
					if m, err := c.abi.MethodById(tx.Selector); err == nil {
						to += "." + m.RawName
						if tx.To != nil && *tx.To == contract.Address && m.RawName == "submitBatch" {
							// An accepted batch has a line of its own.
							to += " (not accepted)"
						}
					}
				}
			}
		}
		value := ""
		if tx.Value != nil && tx.Value.Sign() > 0 {
			value = ", " + ether(tx.Value)
		}
		return fmt.Sprintf("%s: %s → %s%s", shortHash(h), shortAddr(tx.From), to, value)
	}
	return shortHash(h)
}
