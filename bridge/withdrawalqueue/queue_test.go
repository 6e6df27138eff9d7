package withdrawalqueue_test

import (
	"bytes"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
)

// TestABIFileAndAddress: the embedded ABI is abi/withdrawal_queue.json
// byte for byte, and the address is DESIGN §12's.
func TestABIFileAndAddress(t *testing.T) {
	embedded, err := os.ReadFile("withdrawal_queue.json")
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := os.ReadFile(filepath.Join("..", "..", "abi", "withdrawal_queue.json"))
	if err != nil || !bytes.Equal(embedded, shipped) {
		t.Fatalf("abi/withdrawal_queue.json differs from the embedded ABI: %v", err)
	}
	if withdrawalqueue.Address != common.HexToAddress("0x0000000000000000000000000000000000002001") {
		t.Fatalf("address %s", withdrawalqueue.Address)
	}
}

// TestInitiateBurnsAndLogs runs the method through a registry: the value
// is burned, nonces count up, the log decodes back to the withdrawal, and
// a zero value or zero recipient reverts with a reason, changing nothing.
func TestInitiateBurnsAndLogs(t *testing.T) {
	reg, err := syscontract.NewRegistry(withdrawalqueue.New())
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := statedb.New(rawdb.NewMemoryDatabase()).StateAt(types.EmptyRootHash)
	if err != nil {
		t.Fatal(err)
	}
	alice, to := common.HexToAddress("0xa11ce"), common.HexToAddress("0x7777777777777777777777777777777777777777")
	sdb.AddBalance(alice, uint256.NewInt(1_000), tracing.BalanceChangeUnspecified)
	info := syscontract.BlockInfo{ChainID: big.NewInt(1338), Number: 1}
	q := withdrawalqueue.Address
	for i, amount := range []uint64{100, 250} {
		ret, _, err := reg.Run(sdb, info, alice, q, uint256.NewInt(amount), withdrawalqueue.PackInitiate(to), 100_000)
		if err != nil {
			t.Fatalf("withdrawal %d: %v", i, err)
		}
		if nonce := new(big.Int).SetBytes(ret).Uint64(); nonce != uint64(i) {
			t.Fatalf("withdrawal %d got nonce %d", i, nonce)
		}
	}
	if got := sdb.GetBalance(alice).Uint64(); got != 650 {
		t.Fatalf("alice has %d, want 650", got)
	}
	if got := sdb.GetBalance(q); !got.IsZero() {
		t.Fatalf("the queue holds %s; the value must be burned", got)
	}
	ws, err := withdrawalqueue.New().Withdrawals(sdb.Logs())
	if err != nil || len(ws) != 2 || ws[1].Nonce != 1 || ws[1].From != alice || ws[1].To != to || ws[1].Amount.Uint64() != 250 {
		t.Fatalf("withdrawals from logs %+v, %v", ws, err)
	}
	for name, c := range map[string]struct {
		value uint64
		to    common.Address
		want  string
	}{
		"no value":     {0, to, "withdrawal of 0 wei"},
		"no recipient": {5, common.Address{}, "zero address"},
		"the bridge":   {5, common.HexToAddress("0x1003"), "system contract"},
		"a precompile": {5, common.HexToAddress("0x01"), "system contract"},
	} {
		_, _, err := reg.Run(sdb, info, alice, q, uint256.NewInt(c.value), withdrawalqueue.PackInitiate(c.to), 100_000)
		var rev *syscontract.RevertError
		if !errors.As(err, &rev) || !bytes.Contains([]byte(rev.Error()), []byte(c.want)) {
			t.Errorf("%s: %v, want a revert saying %q", name, err, c.want)
		}
	}
	if got := sdb.GetBalance(alice).Uint64(); got != 650 {
		t.Fatalf("reverted withdrawals changed alice's balance to %d", got)
	}
}

// TestParseInitiatedRefusesForgeries: logs of another address are ignored,
// a log of the queue that is not a well-formed WithdrawalInitiated fails.
func TestParseInitiatedRefusesForgeries(t *testing.T) {
	topic := withdrawalqueue.InitiatedTopic()
	good := &types.Log{Address: withdrawalqueue.Address,
		Topics: []common.Hash{topic, common.BigToHash(big.NewInt(3)), common.HexToHash("0xa1"), common.HexToHash("0xb2")},
		Data:   common.BigToHash(big.NewInt(77)).Bytes()}
	w, err := withdrawalqueue.ParseInitiated(good)
	if err != nil || w.Nonce != 3 || w.Amount.Int64() != 77 || w.To != common.HexToAddress("0xb2") {
		t.Fatalf("good log: %+v, %v", w, err)
	}
	other := *good
	other.Address = common.HexToAddress("0x99")
	if ws, err := withdrawalqueue.New().Withdrawals([]*types.Log{&other}); err != nil || len(ws) != 0 {
		t.Fatalf("another contract's log: %+v, %v", ws, err)
	}
	bad := map[string]func(l *types.Log){
		"wrong topic":  func(l *types.Log) { l.Topics[0] = common.HexToHash("0x01") },
		"three topics": func(l *types.Log) { l.Topics = l.Topics[:3] },
		"nonce too wide": func(l *types.Log) {
			l.Topics[1] = common.HexToHash("0x0100000000000000000000000000000000000000000000000000000000000000")
		},
		"short data": func(l *types.Log) { l.Data = l.Data[:31] },
	}
	for name, mutate := range bad {
		l := *good
		l.Topics = append([]common.Hash(nil), good.Topics...)
		mutate(&l)
		if _, err := withdrawalqueue.New().Withdrawals([]*types.Log{&l}); !errors.Is(err, withdrawalqueue.ErrBadLog) {
			t.Errorf("%s: %v, want ErrBadLog", name, err)
		}
	}
}
