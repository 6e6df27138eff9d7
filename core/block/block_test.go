package block

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

func testKey(t testing.TB, seed byte) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testTxs(t testing.TB, n int) types.Transactions {
	t.Helper()
	key := testKey(t, 1)
	signer := types.LatestSignerForChainID(big.NewInt(1337))
	to := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	var txs types.Transactions
	for i := range n {
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{
			ChainID: big.NewInt(1337), Nonce: uint64(i), GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1e9),
			Gas: 21000, To: &to, Value: big.NewInt(int64(i + 1)),
		})
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	return txs
}

func testCommit(height uint64, hash common.Hash) *Commit {
	return &Commit{Height: height, Round: 2, BlockHash: hash, Signatures: []CommitSig{
		{Validator: common.HexToAddress("0x01"), Signature: bytes.Repeat([]byte{1}, SignatureSize)},
		{Validator: common.HexToAddress("0x02"), Signature: bytes.Repeat([]byte{2}, SignatureSize)},
	}}
}

func testBlock(t testing.TB, number uint64, ntx int) *Block {
	t.Helper()
	parent := common.HexToHash("0xabcdef")
	extras := Extras{ValidatorsHash: common.HexToHash("0x11"), NextValidatorsHash: common.HexToHash("0x22")}
	if number > 1 {
		extras.LastCommit = testCommit(number-1, parent)
	}
	return Assemble(&types.Header{
		ParentHash: parent,
		Coinbase:   common.HexToAddress("0xc0ffee"),
		Root:       common.HexToHash("0x5555"),
		Number:     new(big.Int).SetUint64(number),
		GasLimit:   30_000_000,
		GasUsed:    21000 * uint64(ntx),
		Time:       1_700_000_000 + number,
		BaseFee:    big.NewInt(1_000_000_000),
		Extra:      []byte("bilayer"),
	}, testTxs(t, ntx), extras)
}

func TestAssembleSetsCommitments(t *testing.T) {
	b := testBlock(t, 7, 3)
	if err := b.CheckCommitments(); err != nil {
		t.Fatalf("assembled block fails its own checks: %v", err)
	}
	if b.Header.UncleHash != types.EmptyUncleHash || b.Header.Difficulty.Sign() != 0 {
		t.Fatal("assemble did not set the constant header fields")
	}
	if b.Header.MixDigest != b.Extras.Hash() {
		t.Fatal("mix digest does not commit to the extras")
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 1000} {
		b := testBlock(t, n, int(n%4))
		enc, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(enc, len(enc))
		if err != nil {
			t.Fatalf("decode block %d: %v", n, err)
		}
		if got.Hash() != b.Hash() {
			t.Fatalf("block %d: hash changed in round trip", n)
		}
		if err := got.CheckCommitments(); err != nil {
			t.Fatalf("block %d: decoded block fails checks: %v", n, err)
		}
		again, err := got.Encode()
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("block %d: re-encoding differs", n)
		}
		if len(got.Transactions) != len(b.Transactions) {
			t.Fatalf("block %d: %d txs after round trip, want %d", n, len(got.Transactions), len(b.Transactions))
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	enc, err := testBlock(t, 5, 2).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(enc, len(enc)-1); !errors.Is(err, ErrBlockTooLarge) {
		t.Fatalf("oversized block: got %v, want ErrBlockTooLarge", err)
	}
	if _, err := Decode(append(enc, 0x80), len(enc)+1); err == nil {
		t.Fatal("trailing bytes accepted")
	}
	if _, err := Decode(enc[:len(enc)-1], len(enc)); err == nil {
		t.Fatal("truncated block accepted")
	}
}

// TestHashAsEthereumToolsSeeIt rebuilds the header from its JSON, as
// ethclient does with eth_getBlockByNumber, and checks the hash is the same.
func TestHashAsEthereumToolsSeeIt(t *testing.T) {
	b := testBlock(t, 42, 2)
	js, err := json.Marshal(b.Header)
	if err != nil {
		t.Fatal(err)
	}
	var rebuilt types.Header
	if err := json.Unmarshal(js, &rebuilt); err != nil {
		t.Fatal(err)
	}
	if rebuilt.Hash() != b.Hash() {
		t.Fatalf("hash from JSON %s != node hash %s", rebuilt.Hash(), b.Hash())
	}
	full := types.NewBlockWithHeader(&rebuilt).WithBody(types.Body{Transactions: b.Transactions})
	if full.Hash() != b.Hash() {
		t.Fatal("go-ethereum Block hash differs from ours")
	}
}

// TestHashCommitsToConsensusData changes each piece of consensus data and
// checks that either the hash changes or the block no longer checks out.
func TestHashCommitsToConsensusData(t *testing.T) {
	base := testBlock(t, 9, 1)
	mutations := map[string]func(*Block){
		"validators hash":      func(b *Block) { b.Extras.ValidatorsHash[0] ^= 1 },
		"next validators hash": func(b *Block) { b.Extras.NextValidatorsHash[0] ^= 1 },
		"commit round":         func(b *Block) { b.Extras.LastCommit.Round++ },
		"commit signature":     func(b *Block) { b.Extras.LastCommit.Signatures[0].Signature[5] ^= 1 },
		"drop a signature":     func(b *Block) { b.Extras.LastCommit.Signatures = b.Extras.LastCommit.Signatures[1:] },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			enc, _ := base.Encode()
			b, err := Decode(enc, len(enc))
			if err != nil {
				t.Fatal(err)
			}
			mutate(b)
			if err := b.CheckCommitments(); !errors.Is(err, ErrExtrasHash) {
				t.Fatalf("mutated extras: got %v, want ErrExtrasHash", err)
			}
			b.Header.MixDigest = b.Extras.Hash()
			if b.Hash() == base.Hash() {
				t.Fatal("block hash does not depend on the mutated consensus data")
			}
		})
	}
}

func TestCheckCommitmentsRejects(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Block)
		want   error
	}{
		{"uncle hash", func(b *Block) { b.Header.UncleHash = common.Hash{1} }, ErrUncleHash},
		{"difficulty", func(b *Block) { b.Header.Difficulty = big.NewInt(1) }, ErrDifficulty},
		{"nonce", func(b *Block) { b.Header.Nonce = types.EncodeNonce(1) }, ErrNonce},
		{"no base fee", func(b *Block) { b.Header.BaseFee = nil }, ErrNoBaseFee},
		{"long extra", func(b *Block) { b.Header.Extra = make([]byte, MaxExtraSize+1) }, ErrExtraTooLong},
		{"withdrawals hash", func(b *Block) { b.Header.WithdrawalsHash = &types.EmptyWithdrawalsHash }, ErrForkFields},
		{"tx removed", func(b *Block) { b.Transactions = b.Transactions[1:] }, ErrTxRoot},
		{"extras changed", func(b *Block) { b.Extras.ValidatorsHash = common.Hash{} }, ErrExtrasHash},
		{"commit wrong height", func(b *Block) { b.Extras.LastCommit.Height = 3; b.Header.MixDigest = b.Extras.Hash() }, ErrLastCommit},
		{"commit wrong hash", func(b *Block) { b.Extras.LastCommit.BlockHash = common.Hash{9}; b.Header.MixDigest = b.Extras.Hash() }, ErrLastCommit},
		{"commit missing", func(b *Block) { b.Extras.LastCommit = nil; b.Header.MixDigest = b.Extras.Hash() }, ErrMissingLastCommit},
		{"commit short signature", func(b *Block) {
			b.Extras.LastCommit.Signatures[0].Signature = []byte{1}
			b.Header.MixDigest = b.Extras.Hash()
		}, ErrCommitSignatureSize},
		{"commit unsorted", func(b *Block) {
			s := b.Extras.LastCommit.Signatures
			s[0], s[1] = s[1], s[0]
			b.Header.MixDigest = b.Extras.Hash()
		}, ErrCommitUnsorted},
		{"commit empty", func(b *Block) {
			b.Extras.LastCommit.Signatures = nil
			b.Header.MixDigest = b.Extras.Hash()
		}, ErrCommitEmpty},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := testBlock(t, 9, 2)
			tc.mutate(b)
			if err := b.CheckCommitments(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("commit at height 1", func(t *testing.T) {
		b := testBlock(t, 1, 0)
		b.Extras.LastCommit = testCommit(0, b.Header.ParentHash)
		b.Header.MixDigest = b.Extras.Hash()
		if err := b.CheckCommitments(); !errors.Is(err, ErrUnexpectedCommit) {
			t.Fatalf("got %v, want ErrUnexpectedCommit", err)
		}
	})
	t.Run("no header", func(t *testing.T) {
		if err := (&Block{}).CheckCommitments(); !errors.Is(err, ErrNoHeader) {
			t.Fatalf("got %v, want ErrNoHeader", err)
		}
	})
}

func TestCommitTooManySignatures(t *testing.T) {
	c := &Commit{Signatures: make([]CommitSig, MaxCommitSignatures+1)}
	if err := c.ValidateBasic(); !errors.Is(err, ErrCommitTooLarge) {
		t.Fatalf("got %v, want ErrCommitTooLarge", err)
	}
}

func FuzzDecodeBlock(f *testing.F) {
	for _, n := range []uint64{0, 1, 3} {
		enc, err := testBlock(f, n, int(n)).Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data, 1<<20)
		if err != nil {
			return
		}
		_ = b.CheckCommitments()
		enc, err := b.Encode()
		if err != nil {
			t.Fatalf("decoded block does not re-encode: %v", err)
		}
		b2, err := Decode(enc, len(enc))
		if err != nil {
			t.Fatalf("re-encoded block does not decode: %v", err)
		}
		if b2.Hash() != b.Hash() {
			t.Fatal("hash changed across re-encoding")
		}
	})
}
