package node_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/nodetest"
)

// TestThousandConsecutiveTransfersCommit is issue 17 item 3 on a real
// node: one account sends 1,000 transfers with consecutive nonces at once
// (as a load generator's setup funding many accounts does); the pool
// admits them all (no per-sender limit on executable transactions) and
// they all commit.
func TestThousandConsecutiveTransfersCommit(t *testing.T) {
	const count = 1000
	key, err := crypto.ToECDSA(common.LeftPadBytes([]byte{0x17}, 32))
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	n := nodetest.Start(t, map[common.Address]int64{from: 1000}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := ethclient.DialContext(ctx, n.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	chainID := new(big.Int).SetUint64(n.Genesis.ChainID)
	signer := types.LatestSignerForChainID(chainID)
	tip := big.NewInt(1_000_000_000)
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(4)), tip)
	txs := make([]*types.Transaction, count)
	for i := range txs {
		to := common.BigToAddress(big.NewInt(int64(0x1000 + i)))
		txs[i], err = types.SignNewTx(key, signer, &types.DynamicFeeTx{ChainID: chainID, Nonce: uint64(i), Gas: 21000,
			To: &to, Value: big.NewInt(1), GasTipCap: tip, GasFeeCap: feeCap})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, tx := range txs {
		if err := c.SendTransaction(ctx, tx); err != nil {
			t.Fatalf("transfer %d: %v", i, err)
		}
	}
	waitfor.Until(t, 50*time.Second, func() error {
		nonce, err := c.NonceAt(ctx, from, nil)
		if err != nil {
			return err
		}
		if nonce != count {
			return fmt.Errorf("%d of %d transfers committed", nonce, count)
		}
		return nil
	})
	for _, i := range []int{0, count / 2, count - 1} {
		r, err := c.TransactionReceipt(ctx, txs[i].Hash())
		if err != nil || r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("transfer %d: receipt %v, %v", i, r, err)
		}
	}
}
