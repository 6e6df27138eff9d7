package wallet

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Transaction statuses of a TxSummary.
const (
	StatusPending = "pending"
	StatusSuccess = "success"
	StatusFailed  = "failed"
)

// TxSummary is what the wallet prints about a transaction, in text or as
// JSON. Amounts are decimal wei strings in JSON (exact for scripts), with
// an ether rendering beside the important ones.
type TxSummary struct {
	Hash     common.Hash     `json:"hash"`
	From     common.Address  `json:"from"`
	To       *common.Address `json:"to"`
	Value    string          `json:"value"`
	ValueEth string          `json:"valueEth"`
	Nonce    uint64          `json:"nonce"`
	Gas      uint64          `json:"gas"`
	// MaxFeePerGas and MaxPriorityFeePerGas are in wei.
	MaxFeePerGas         string `json:"maxFeePerGas"`
	MaxPriorityFeePerGas string `json:"maxPriorityFeePerGas"`
	// Status is StatusPending, StatusSuccess or StatusFailed.
	Status  string          `json:"status"`
	Receipt *ReceiptSummary `json:"receipt,omitempty"`
}

// ReceiptSummary is the part of a TxSummary known once the transaction is
// in a block.
type ReceiptSummary struct {
	BlockNumber       uint64      `json:"blockNumber"`
	BlockHash         common.Hash `json:"blockHash"`
	GasUsed           uint64      `json:"gasUsed"`
	EffectiveGasPrice string      `json:"effectiveGasPrice"`
	// Fee is the gas fee: gasUsed × effectiveGasPrice.
	Fee    string `json:"fee"`
	FeeEth string `json:"feeEth"`
	// L1Fee is the L1 data fee an L2 transaction paid beside its gas fee
	// (absent on the L1); TotalFee is Fee + L1Fee.
	L1Fee       string `json:"l1Fee,omitempty"`
	L1FeeEth    string `json:"l1FeeEth,omitempty"`
	TotalFee    string `json:"totalFee,omitempty"`
	TotalFeeEth string `json:"totalFeeEth,omitempty"`
}

// Succeeded reports whether the transaction is in a block and succeeded.
func (s *TxSummary) Succeeded() bool { return s.Status == StatusSuccess }

// Summarize describes tx sent by from. r is its receipt, or nil while it
// is pending; price is the effective gas price it paid (needed with r).
func Summarize(tx *types.Transaction, from common.Address, r *types.Receipt, price *big.Int) *TxSummary {
	s := &TxSummary{
		Hash: tx.Hash(), From: from, To: tx.To(),
		Value: tx.Value().String(), ValueEth: EtherDecimal(tx.Value()),
		Nonce: tx.Nonce(), Gas: tx.Gas(),
		MaxFeePerGas: tx.GasFeeCap().String(), MaxPriorityFeePerGas: tx.GasTipCap().String(),
		Status: StatusPending,
	}
	if r == nil {
		return s
	}
	s.Status = StatusFailed
	if r.Status == types.ReceiptStatusSuccessful {
		s.Status = StatusSuccess
	}
	fee := FeePaid(r.GasUsed, price)
	s.Receipt = &ReceiptSummary{
		BlockHash: r.BlockHash, GasUsed: r.GasUsed,
		EffectiveGasPrice: price.String(), Fee: fee.String(), FeeEth: EtherDecimal(fee),
	}
	if r.BlockNumber != nil {
		s.Receipt.BlockNumber = r.BlockNumber.Uint64()
	}
	return s
}

// AddL1Fee records the L1 data fee an L2 transaction paid (the receipt's
// l1Fee) beside its gas fee. A nil fee (an L1 receipt) or a summary
// without a receipt is left as it is.
func (s *TxSummary) AddL1Fee(l1Fee *big.Int) {
	if l1Fee == nil || s.Receipt == nil {
		return
	}
	gasFee, ok := new(big.Int).SetString(s.Receipt.Fee, 10)
	if !ok {
		return
	}
	total := new(big.Int).Add(gasFee, l1Fee)
	s.Receipt.L1Fee, s.Receipt.L1FeeEth = l1Fee.String(), EtherDecimal(l1Fee)
	s.Receipt.TotalFee, s.Receipt.TotalFeeEth = total.String(), EtherDecimal(total)
}

// Text renders the summary for people, one "name  value" line per field.
func (s *TxSummary) Text() string {
	var b strings.Builder
	line := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-10s %s\n", name, fmt.Sprintf(format, args...))
	}
	line("tx", "%s", s.Hash)
	line("from", "%s", s.From)
	if s.To != nil {
		line("to", "%s", *s.To)
	}
	line("value", "%s ETH", s.ValueEth)
	line("nonce", "%d", s.Nonce)
	line("status", "%s", s.Status)
	if r := s.Receipt; r != nil {
		price, _ := new(big.Int).SetString(r.EffectiveGasPrice, 10)
		line("block", "%d (%s)", r.BlockNumber, r.BlockHash)
		line("gas used", "%d of %d", r.GasUsed, s.Gas)
		line("gas price", "%s", FormatGwei(price))
		if r.L1Fee != "" {
			line("fee paid", "%s ETH = %s ETH gas + %s ETH L1 data fee", r.TotalFeeEth, r.FeeEth, r.L1FeeEth)
		} else {
			line("fee paid", "%s ETH", r.FeeEth)
		}
	}
	return b.String()
}
