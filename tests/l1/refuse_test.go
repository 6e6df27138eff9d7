package l1_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// badTx is a raw transaction the node must refuse, and what its error must
// say.
type badTx struct {
	name string
	raw  []byte
	want string
}

// badTransactions returns a valid transfer from a dev account and broken
// variants of it: garbage bytes, empty input, a wrong chain id, a signature
// with r = 0 and an oversized transaction.
func badTransactions(ctx context.Context, t *testing.T, c *cluster.Cluster, n *cluster.Node) (*types.Transaction, []badTx) {
	t.Helper()
	dev, err := devkeys.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000b0b01")
	s := signer(c)
	good, err := transferTx(ctx, n, s, dev.Key, to, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(s types.Signer, tx *types.DynamicFeeTx) []byte {
		tx.Nonce, tx.GasTipCap, tx.GasFeeCap, tx.To, tx.Value = good.Nonce(), good.GasTipCap(), good.GasFeeCap(), &to, big.NewInt(1)
		signed, err := types.SignNewTx(dev.Key, s, tx)
		if err != nil {
			t.Fatal(err)
		}
		return encode(t, signed)
	}
	wrongChain := sign(types.LatestSignerForChainID(big.NewInt(999)), &types.DynamicFeeTx{ChainID: big.NewInt(999), Gas: 21_000})
	huge := sign(s, &types.DynamicFeeTx{ChainID: s.ChainID(), Gas: 5_000_000, Data: bytes.Repeat([]byte{0xab}, 200<<10)})

	// r = 0 is no signature of anything: the sender cannot be recovered.
	v, _, sv := good.RawSignatureValues()
	sig := make([]byte, 65)
	sv.FillBytes(sig[32:64])
	sig[64] = byte(v.Uint64())
	badSig, err := good.WithSignature(s, sig)
	if err != nil {
		t.Fatal(err)
	}
	return good, []badTx{
		{"garbage bytes", []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02}, "invalid transaction encoding"},
		{"empty input", []byte{}, "invalid transaction encoding"},
		{"wrong chain id", wrongChain, "invalid chain id"},
		{"bad signature", encode(t, badSig), "invalid transaction v, r, s values"},
		{"oversized transaction", huge, "transaction too large"},
	}
}

func encode(t *testing.T, tx *types.Transaction) []byte {
	t.Helper()
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// testBadTransactions: garbage bytes, a wrong chain id, a bad signature and
// an oversized transaction are refused through eth_sendRawTransaction with
// errors that say what is wrong, and the node keeps running.
func testBadTransactions(t *testing.T, c *cluster.Cluster) {
	ctx := testCtx(t, 60*time.Second)
	n := c.Node(2)
	good, cases := badTransactions(ctx, t, c, n)
	for _, tc := range cases {
		var hash common.Hash
		err := n.Call(ctx, &hash, "eth_sendRawTransaction", hexutil.Bytes(tc.raw))
		if err == nil {
			t.Errorf("%s: accepted as %s, want an error saying %q", tc.name, hash, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.want)
		}
		t.Logf("%s: %v", tc.name, err)
	}
	// A request that is not even a byte string is refused too.
	var hash common.Hash
	if err := n.Call(ctx, &hash, "eth_sendRawTransaction", json.RawMessage(`"not hex"`)); err == nil {
		t.Errorf("a non-hex argument was accepted as %s", hash)
	}

	// The node keeps running and committing, and still takes a good
	// transaction.
	if !n.Running() {
		t.Fatalf("%s exited after the bad transactions:\n%s", n.Name, n.LogTail(50))
	}
	if err := n.Client().SendTransaction(ctx, good); err != nil {
		t.Fatalf("a valid transaction after the bad ones: %v", err)
	}
	cluster.Await(t, 30*time.Second, func() error {
		_, err := n.Client().TransactionReceipt(ctx, good.Hash())
		return err
	})
	if err := checkNoEvidence(ctx, c.Nodes()); err != nil {
		t.Fatal(err)
	}
}
