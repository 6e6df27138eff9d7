package attacktest

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// transfer is the transaction every helper here signs: a plain transfer
// paying fees an ordinary pool accepts.
func transfer(chainID *big.Int, nonce uint64) *types.DynamicFeeTx {
	to := common.HexToAddress("0x000000000000000000000000000000000000dead")
	return &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9),
		Gas: 21000, To: &to, Value: big.NewInt(1)}
}

// BadSignatureTxs returns n transfers for chainID whose signatures are in
// range but recover to no key: each costs a receiver one public-key
// recovery attempt and is invalid everywhere. seed varies the set.
func BadSignatureTxs(chainID *big.Int, n int, seed uint64) ([]*types.Transaction, error) {
	signer := types.LatestSignerForChainID(chainID)
	out := make([]*types.Transaction, 0, n)
	r := new(big.Int).SetUint64(seed<<32 + 1)
	for i := range n {
		tx := types.NewTx(transfer(chainID, uint64(i)))
		for tries := 0; ; tries++ {
			if tries == 64 {
				return nil, fmt.Errorf("bad signature tx %d: no unrecoverable r found", i)
			}
			r.Add(r, big.NewInt(1))
			sig := make([]byte, crypto.SignatureLength)
			r.FillBytes(sig[:32])
			sig[63] = 1 // s = 1: in range
			signed, err := tx.WithSignature(signer, sig)
			if err != nil {
				return nil, fmt.Errorf("bad signature tx %d: %w", i, err)
			}
			if _, err := types.Sender(signer, signed); err != nil {
				out = append(out, signed)
				break
			}
		}
	}
	return out, nil
}

// UnfundedTxs returns n transfers for chainID, each correctly signed by a
// fresh key that holds nothing: valid everywhere, but no pool admits them.
func UnfundedTxs(chainID *big.Int, n int) ([]*types.Transaction, error) {
	signer := types.LatestSignerForChainID(chainID)
	out := make([]*types.Transaction, 0, n)
	for i := range n {
		key, err := crypto.GenerateKey()
		if err != nil {
			return nil, fmt.Errorf("unfunded tx %d: %w", i, err)
		}
		tx, err := types.SignNewTx(key, signer, transfer(chainID, 0))
		if err != nil {
			return nil, fmt.Errorf("unfunded tx %d: %w", i, err)
		}
		out = append(out, tx)
	}
	return out, nil
}

// Transfer returns a transfer from key with the given nonce, for a test's
// honest traffic.
func Transfer(key *ecdsa.PrivateKey, chainID *big.Int, nonce uint64) (*types.Transaction, error) {
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chainID), transfer(chainID, nonce))
	if err != nil {
		return nil, fmt.Errorf("sign transfer: %w", err)
	}
	return tx, nil
}
