package loadgen

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Account is a load account.
type Account struct {
	Key     *ecdsa.PrivateKey
	Address common.Address
	Nonce   uint64
}

// DeriveAccounts returns n accounts whose keys are keccak256(seed, i).
func DeriveAccounts(seed string, n int) ([]*Account, error) {
	out := make([]*Account, n)
	for i := range n {
		var idx [8]byte
		binary.BigEndian.PutUint64(idx[:], uint64(i))
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte(seed), idx[:]))
		if err != nil {
			return nil, fmt.Errorf("derive load account %d: %w", i, err)
		}
		out[i] = &Account{Key: k, Address: crypto.PubkeyToAddress(k.PublicKey)}
	}
	return out, nil
}

// Fees are the fee caps the load uses.
type Fees struct {
	TipCap *big.Int
	FeeCap *big.Int
}

// DefaultFees pays a 1 gwei tip and allows the base fee to rise a
// thousandfold before a transfer becomes unincludable.
func DefaultFees() Fees {
	return Fees{TipCap: big.NewInt(1e9), FeeCap: new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e9))}
}

// Fund sends amount to every account from the funders (round robin) and
// waits, up to timeout, until every account holds it.
func Fund(ctx context.Context, url string, chainID *big.Int, funders []*ecdsa.PrivateKey, accounts []*Account, amount *big.Int, fees Fees, timeout time.Duration) error {
	client, err := rpc.DialContext(ctx, url)
	if err != nil {
		return fmt.Errorf("fund: dial %s: %w", url, err)
	}
	defer client.Close()
	ec := ethclient.NewClient(client)
	signer := types.LatestSignerForChainID(chainID)
	nonces := make([]uint64, len(funders))
	for i, f := range funders {
		if nonces[i], err = ec.PendingNonceAt(ctx, crypto.PubkeyToAddress(f.PublicKey)); err != nil {
			return fmt.Errorf("fund: nonce of funder %d: %w", i, err)
		}
	}
	var raw [][]byte
	for i, a := range accounts {
		fi := i % len(funders)
		tx, err := types.SignNewTx(funders[fi], signer, &types.DynamicFeeTx{ChainID: chainID, Nonce: nonces[fi],
			GasTipCap: fees.TipCap, GasFeeCap: fees.FeeCap, Gas: 21000, To: &a.Address, Value: amount})
		if err != nil {
			return fmt.Errorf("fund: sign: %w", err)
		}
		nonces[fi]++
		b, err := tx.MarshalBinary()
		if err != nil {
			return err
		}
		raw = append(raw, b)
	}
	if err := sendBatches(ctx, client, raw); err != nil {
		return fmt.Errorf("fund: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for _, a := range accounts {
		for {
			bal, err := ec.BalanceAt(ctx, a.Address, nil)
			if err == nil && bal.Cmp(amount) >= 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("fund: account %s not funded within %s", a.Address, timeout)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		if a.Nonce, err = ec.NonceAt(ctx, a.Address, nil); err != nil {
			return fmt.Errorf("fund: nonce of %s: %w", a.Address, err)
		}
	}
	return nil
}

// FanOut gives every account amount, like Fund, while no sender ever has
// more than perSender transfers pending (a pool bounds each sender's
// pooled transactions, and a chain may prefund only a few accounts): when
// the funders alone would exceed it, it first funds a few of the accounts
// as hubs (recursively, the same way) with enough for their share, then
// the hubs fund the rest. Each level waits, up to timeout, until every
// transfer is included; there are about log(accounts)/log(perSender)
// levels. The hubs' nonces are read back at the end.
func FanOut(ctx context.Context, url string, chainID *big.Int, funders []*ecdsa.PrivateKey, accounts []*Account, amount *big.Int,
	fees Fees, perSender int, timeout time.Duration) error {
	if len(funders) == 0 {
		return errors.New("fan out: no funders")
	}
	if perSender <= 0 {
		return fmt.Errorf("fan out: perSender %d must be positive", perSender)
	}
	if len(accounts) <= len(funders)*perSender {
		return Fund(ctx, url, chainID, funders, accounts, amount, fees, timeout)
	}
	// k hubs fund the other n-k accounts, at most perSender each.
	n := len(accounts)
	k := (n + perSender) / (perSender + 1)
	hubs, rest := accounts[:k], accounts[k:]
	share := int64((len(rest) + k - 1) / k)
	// Each transfer costs at most 21,000 gas at the fee cap; the L1 data
	// fee of an L2 transfer is far below the allowance on top.
	perTransfer := new(big.Int).Mul(big.NewInt(21000), fees.FeeCap)
	perTransfer.Add(perTransfer, amount)
	perTransfer.Add(perTransfer, big.NewInt(1e16))
	hubAmount := new(big.Int).Mul(perTransfer, big.NewInt(share))
	hubAmount.Add(hubAmount, amount)
	if err := FanOut(ctx, url, chainID, funders, hubs, hubAmount, fees, perSender, timeout); err != nil {
		return err
	}
	hubKeys := make([]*ecdsa.PrivateKey, len(hubs))
	for i, h := range hubs {
		hubKeys[i] = h.Key
	}
	if err := Fund(ctx, url, chainID, hubKeys, rest, amount, fees, timeout); err != nil {
		return err
	}
	return ResyncNonces(ctx, url, hubs)
}

// sendBatches submits raw transactions in JSON-RPC batches of at most
// batchSize and returns the first per-transaction error.
func sendBatches(ctx context.Context, client *rpc.Client, raw [][]byte) error {
	for start := 0; start < len(raw); start += batchSize {
		end := min(start+batchSize, len(raw))
		elems := make([]rpc.BatchElem, 0, end-start)
		hashes := make([]common.Hash, end-start)
		for i, b := range raw[start:end] {
			elems = append(elems, rpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{hexBytes(b)}, Result: &hashes[i]})
		}
		if err := client.BatchCallContext(ctx, elems); err != nil {
			return fmt.Errorf("send batch: %w", err)
		}
		for _, e := range elems {
			if e.Error != nil {
				return fmt.Errorf("send tx: %w", e.Error)
			}
		}
	}
	return nil
}

// batchSize is the JSON-RPC batch size (the node serves at most 100).
const batchSize = 100

func hexBytes(b []byte) string { return "0x" + common.Bytes2Hex(b) }

// ResyncNonces reads every account's pending nonce from the node.
func ResyncNonces(ctx context.Context, url string, accounts []*Account) error {
	ec, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return fmt.Errorf("resync nonces: %w", err)
	}
	defer ec.Close()
	for _, a := range accounts {
		if a.Nonce, err = ec.PendingNonceAt(ctx, a.Address); err != nil {
			return fmt.Errorf("resync nonce of %s: %w", a.Address, err)
		}
	}
	return nil
}
