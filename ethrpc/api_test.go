package ethrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/bilayer/bilayer/core/syscontract"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/trie"
)

type fixture struct {
	chain  *chainBackend
	server *Server
	url    string
	client *ethclient.Client
	from   common.Address
	to     common.Address
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key, err := crypto.ToECDSA(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{from: crypto.PubkeyToAddress(key.PublicKey), to: common.HexToAddress("0xdead")}
	f.chain = newChainBackend(t, f.from)
	f.chain.addBlock(t, signTransfer(t, key, 0, f.to, 1000), signTransfer(t, key, 1, f.to, 2000))
	f.chain.addBlock(t)
	f.server, err = NewServer(f.chain, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.server.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	f.url = "http://" + f.server.Addr()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.server.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	f.client, err = ethclient.Dial(f.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.client.Close)
	return f
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestEthclientSeesTheNodesBlockHash is the contract with every Ethereum
// tool: the hash ethclient computes from the JSON is the node's hash.
func TestEthclientSeesTheNodesBlockHash(t *testing.T) {
	f := newFixture(t)
	for n, want := range f.chain.blocks {
		got, err := f.client.BlockByNumber(ctx(t), big.NewInt(int64(n)))
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		if got.Hash() != want.Hash() {
			t.Fatalf("block %d: ethclient hash %s, node hash %s", n, got.Hash(), want.Hash())
		}
		if len(got.Transactions()) != len(want.Transactions) {
			t.Fatalf("block %d: %d txs, want %d", n, len(got.Transactions()), len(want.Transactions))
		}
		byHash, err := f.client.BlockByHash(ctx(t), want.Hash())
		if err != nil || byHash.Hash() != want.Hash() {
			t.Fatalf("block by hash %d: %v", n, err)
		}
	}
	head, err := f.client.HeaderByNumber(ctx(t), nil)
	if err != nil || head.Hash() != f.chain.blocks[2].Hash() {
		t.Fatalf("latest header: %v", err)
	}
	if n, err := f.client.BlockNumber(ctx(t)); err != nil || n != 2 {
		t.Fatalf("block number %d, %v", n, err)
	}
	if _, err := f.client.BlockByNumber(ctx(t), big.NewInt(99)); err != ethereum.NotFound {
		t.Fatalf("missing block: got %v, want NotFound", err)
	}
}

func TestTransactionsAndReceipts(t *testing.T) {
	f := newFixture(t)
	b1 := f.chain.blocks[1]
	for i, want := range b1.Transactions {
		tx, pending, err := f.client.TransactionByHash(ctx(t), want.Hash())
		if err != nil || pending || tx.Hash() != want.Hash() {
			t.Fatalf("tx %d: %v pending=%v", i, err, pending)
		}
		from, err := f.client.TransactionSender(ctx(t), tx, b1.Hash(), uint(i))
		if err != nil || from != f.from {
			t.Fatalf("sender of tx %d: %s, %v", i, from, err)
		}
		r, err := f.client.TransactionReceipt(ctx(t), want.Hash())
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		if r.Status != 1 || r.GasUsed != 21000 || r.BlockHash != b1.Hash() || r.BlockNumber.Uint64() != 1 || r.TransactionIndex != uint(i) {
			t.Fatalf("receipt %d: %+v", i, r)
		}
	}
	if _, _, err := f.client.TransactionByHash(ctx(t), common.Hash{1}); err != ethereum.NotFound {
		t.Fatalf("unknown tx: %v", err)
	}
	if _, err := f.client.TransactionReceipt(ctx(t), common.Hash{1}); err != ethereum.NotFound {
		t.Fatalf("unknown receipt: %v", err)
	}
	count, err := f.client.TransactionCount(ctx(t), b1.Hash())
	if err != nil || count != 2 {
		t.Fatalf("tx count %d, %v", count, err)
	}
}

func TestAccountState(t *testing.T) {
	f := newFixture(t)
	bal, err := f.client.BalanceAt(ctx(t), f.to, nil)
	if err != nil || bal.Int64() != 3000 {
		t.Fatalf("balance %v, %v", bal, err)
	}
	old, err := f.client.BalanceAt(ctx(t), f.to, big.NewInt(0))
	if err != nil || old.Sign() != 0 {
		t.Fatalf("balance at genesis %v, %v", old, err)
	}
	nonce, err := f.client.NonceAt(ctx(t), f.from, nil)
	if err != nil || nonce != 2 {
		t.Fatalf("nonce %d, %v", nonce, err)
	}
	slot, err := f.client.StorageAt(ctx(t), logEmitter, testSlotKey, nil)
	if err != nil || common.BytesToHash(slot) != testSlotData {
		t.Fatalf("storage %x, %v", slot, err)
	}
	id, err := f.client.ChainID(ctx(t))
	if err != nil || id.Int64() != 1337 {
		t.Fatalf("chain id %v, %v", id, err)
	}
	netID, err := f.client.NetworkID(ctx(t))
	if err != nil || netID.Int64() != 1337 {
		t.Fatalf("network id %v, %v", netID, err)
	}
}

func TestSendRawTransaction(t *testing.T) {
	f := newFixture(t)
	key, _ := crypto.ToECDSA(bytes.Repeat([]byte{7}, 32))
	tx := signTransfer(t, key, 2, f.to, 5)
	if err := f.client.SendTransaction(ctx(t), tx); err != nil {
		t.Fatal(err)
	}
	got, pending, err := f.client.TransactionByHash(ctx(t), tx.Hash())
	if err != nil || !pending || got.Hash() != tx.Hash() {
		t.Fatalf("pending tx: %v pending=%v", err, pending)
	}
	if n, err := f.client.PendingNonceAt(ctx(t), f.from); err != nil || n != 3 {
		t.Fatalf("pending nonce %d, %v", n, err)
	}
	f.chain.sendErr = errTestNonce
	err = f.client.SendTransaction(ctx(t), signTransfer(t, key, 0, f.to, 5))
	if err == nil || !strings.Contains(err.Error(), "nonce too low: next nonce is 2") {
		t.Fatalf("backend error not passed to the user: %v", err)
	}
	var raw string
	rpcClient, _ := rpc.Dial(f.url)
	defer rpcClient.Close()
	err = rpcClient.CallContext(ctx(t), &raw, "eth_sendRawTransaction", "0xdeadbeef")
	if err == nil || !strings.Contains(err.Error(), "invalid transaction encoding") {
		t.Fatalf("garbage bytes: %v", err)
	}
}

func TestGetLogs(t *testing.T) {
	f := newFixture(t)
	logs, err := f.client.FilterLogs(ctx(t), ethereum.FilterQuery{
		FromBlock: big.NewInt(0), Addresses: []common.Address{logEmitter}, Topics: [][]common.Hash{{logTopic}},
	})
	if err != nil || len(logs) != 1 || logs[0].BlockNumber != 1 || logs[0].TxHash != f.chain.blocks[1].Transactions[1].Hash() {
		t.Fatalf("logs %+v, %v", logs, err)
	}
	none, err := f.client.FilterLogs(ctx(t), ethereum.FilterQuery{FromBlock: big.NewInt(0), Topics: [][]common.Hash{{}, {common.Hash{9}}}})
	if err != nil || len(none) != 0 {
		t.Fatalf("non-matching topic returned %d logs, %v", len(none), err)
	}
	h := f.chain.blocks[1].Hash()
	byHash, err := f.client.FilterLogs(ctx(t), ethereum.FilterQuery{BlockHash: &h})
	if err != nil || len(byHash) != 1 {
		t.Fatalf("logs by block hash: %d, %v", len(byHash), err)
	}
	_, err = f.client.FilterLogs(ctx(t), ethereum.FilterQuery{FromBlock: big.NewInt(2), ToBlock: big.NewInt(1)})
	if err == nil || !strings.Contains(err.Error(), "fromBlock 2 is after toBlock 1") {
		t.Fatalf("reversed range: %v", err)
	}
}

// TestGetProofVerifies checks the account and storage proofs against the
// block's state root with go-ethereum's own verifier.
func TestGetProofVerifies(t *testing.T) {
	f := newFixture(t)
	var res AccountResult
	err := f.client.Client().CallContext(ctx(t), &res, "eth_getProof", logEmitter, []string{testSlotKey.Hex()}, "latest")
	if err != nil {
		t.Fatal(err)
	}
	root := f.chain.blocks[2].Header.Root
	proofDB := rawdb.NewMemoryDatabase()
	for _, node := range res.AccountProof {
		raw := common.FromHex(node)
		proofDB.Put(crypto.Keccak256(raw), raw)
	}
	val, err := trie.VerifyProof(root, crypto.Keccak256(logEmitter[:]), proofDB)
	if err != nil || len(val) == 0 {
		t.Fatalf("account proof does not verify: %v", err)
	}
	var acc struct {
		Nonce    uint64
		Balance  *big.Int
		Root     common.Hash
		CodeHash []byte
	}
	if err := rlp.DecodeBytes(val, &acc); err != nil || acc.Root != res.StorageHash || acc.Nonce != 1 {
		t.Fatalf("proven account %+v, %v", acc, err)
	}
	storageDB := rawdb.NewMemoryDatabase()
	for _, node := range res.StorageProof[0].Proof {
		raw := common.FromHex(node)
		storageDB.Put(crypto.Keccak256(raw), raw)
	}
	sval, err := trie.VerifyProof(res.StorageHash, crypto.Keccak256(testSlotKey[:]), storageDB)
	if err != nil {
		t.Fatalf("storage proof does not verify: %v", err)
	}
	var content []byte
	if err := rlp.DecodeBytes(sval, &content); err != nil || common.BytesToHash(content) != testSlotData {
		t.Fatalf("proven slot %x, %v", content, err)
	}
	if res.StorageProof[0].Value.ToInt().Cmp(testSlotData.Big()) != 0 {
		t.Fatalf("slot value %s", res.StorageProof[0].Value)
	}
}

func TestFees(t *testing.T) {
	f := newFixture(t)
	tip, err := f.client.SuggestGasTipCap(ctx(t))
	if err != nil || tip.Int64() != 1_000_000 {
		t.Fatalf("tip %v, %v", tip, err)
	}
	price, err := f.client.SuggestGasPrice(ctx(t))
	if err != nil || price.Int64() != 876_000_000 {
		t.Fatalf("gas price %v, %v", price, err)
	}
	hist, err := f.client.FeeHistory(ctx(t), 3, nil, []float64{0, 50, 100})
	if err != nil {
		t.Fatal(err)
	}
	if hist.OldestBlock.Uint64() != 0 || len(hist.BaseFee) != 4 || len(hist.GasUsedRatio) != 3 || len(hist.Reward) != 3 {
		t.Fatalf("fee history %+v", hist)
	}
	if hist.BaseFee[3].Int64() != 875_000_000 || hist.Reward[1][1].Int64() != 2 {
		t.Fatalf("fee history values: next base fee %s, tip of block 1 %s", hist.BaseFee[3], hist.Reward[1][1])
	}
	if _, err := f.client.FeeHistory(ctx(t), 3, nil, []float64{50, 10}); err == nil {
		t.Fatal("falling percentiles accepted")
	}
	gas, err := f.client.EstimateGas(ctx(t), ethereum.CallMsg{From: f.from, To: &f.to, Data: []byte{1, 2}})
	if err != nil || gas != 21032 {
		t.Fatalf("estimate %d, %v", gas, err)
	}
}

func TestRevertCarriesCodeAndData(t *testing.T) {
	f := newFixture(t)
	rev := syscontract.NewRevertError("not enough stake")
	revert := rev.Data
	f.chain.callErr = rev
	_, err := f.client.CallContract(ctx(t), ethereum.CallMsg{To: &logEmitter}, nil)
	if err == nil || err.Error() != "execution reverted: not enough stake" {
		t.Fatalf("revert: %v", err)
	}
	var de rpc.DataError
	if !errorsAs(err, &de) || de.ErrorData() != "0x"+common.Bytes2Hex(revert) {
		t.Fatalf("revert data missing: %v", err)
	}
	var e rpc.Error
	if !errorsAs(err, &e) || e.ErrorCode() != 3 {
		t.Fatalf("revert code: %v", err)
	}
}

func TestLimits(t *testing.T) {
	f := newFixture(t)
	var calls []string
	for i := range MaxBatchItems + 1 {
		calls = append(calls, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"eth_chainId"}`, i))
	}
	body := post(t, f.url, "["+strings.Join(calls, ",")+"]")
	if !strings.Contains(body, "batch too large") {
		t.Fatalf("a batch of %d calls was served: %.200s", MaxBatchItems+1, body)
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x` + strings.Repeat("00", MaxRequestSize/2+1) + `"]}`
	resp, err := http.Post(f.url, "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized request: HTTP %d, want 413", resp.StatusCode)
	}
	if body := post(t, f.url, `{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xnothex","latest"]}`); !strings.Contains(body, "invalid argument") {
		t.Fatalf("bad argument: %s", body)
	}
}

func TestWebSocket(t *testing.T) {
	f := newFixture(t)
	c, err := ethclient.Dial("ws://" + f.server.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, err := c.BlockNumber(ctx(t)); err != nil || n != 2 {
		t.Fatalf("over websocket: %d, %v", n, err)
	}
}

func post(t *testing.T, url, body string) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var anyJSON any
	if json.Unmarshal(out, &anyJSON) != nil {
		t.Fatalf("response is not JSON: %s", out)
	}
	return string(out)
}
