package node

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node/staking"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// rollupGenesis adds a rollup section: two accounts prefunded on L2 with
// 30 ETH in all, and the bridge holding prefund on L1 (30 ETH backs them).
func rollupGenesis(prefund *genesis.Amount) func(*genesis.Genesis) {
	return func(g *genesis.Genesis) {
		g.Rollup = &genesis.Rollup{
			L2ChainID: 1338, ChallengeWindow: 30, SequencingWindow: 20,
			SequencerBond: genesis.Ether(10), Sequencer: common.HexToAddress("0x5e9"),
			L2Alloc: map[common.Address]genesis.Account{
				{1}: {Balance: genesis.Ether(10)},
				{2}: {Balance: genesis.Ether(20)},
			},
		}
		g.Alloc[bridge.Address] = genesis.Account{Balance: prefund}
	}
}

// sendTx signs and submits a transaction from key to node 0 and waits for
// its receipt.
func (c *memCluster) sendTx(key *ecdsa.PrivateKey, to common.Address, value *big.Int, data []byte) *types.Receipt {
	c.t.Helper()
	n := c.nodes[0]
	tx, err := types.SignNewTx(key, n.Chain().Signer(), &types.DynamicFeeTx{ChainID: big.NewInt(1337),
		Nonce: n.Pool().PendingNonce(crypto.PubkeyToAddress(key.PublicKey)), GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9),
		Gas: 200_000, To: &to, Value: value, Data: data})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := n.RPCBackend().SendTransaction(context.Background(), tx); err != nil {
		c.t.Fatalf("send: %v", err)
	}
	var receipt *types.Receipt
	waitFor(c.t, 30*time.Second, "the transaction to be included", func() bool {
		loc, err := n.Chain().TxLocation(tx.Hash())
		if err != nil {
			return false
		}
		b, _ := n.Chain().BlockByNumber(loc.Height)
		rs, err := n.Chain().Receipts(b)
		if err != nil {
			return false
		}
		receipt = rs[loc.Index]
		return true
	})
	return receipt
}

// TestBridgeRunsOnARollupGenesis: with a rollup section the L1 registers
// the bridge, whose genesis account has the marker code, nonce 1 and the
// balance backing the L2 prefunds; a deposit sent as an ordinary
// transaction is recorded, logged, and readable by eth_call at its block.
func TestBridgeRunsOnARollupGenesis(t *testing.T) {
	c := newMemClusterWith(t, 1, rollupGenesis(genesis.Ether(30)))
	n := c.start(0, memdb.New())
	if !n.Chain().Registry().IsSystemContract(bridge.Address) {
		t.Fatal("the bridge is not registered")
	}
	st, err := n.Chain().StateAt(0)
	if err != nil {
		t.Fatal(err)
	}
	if st.GetNonce(bridge.Address) != 1 || string(st.GetCode(bridge.Address)) != string(syscontract.MarkerCode()) ||
		st.GetBalance(bridge.Address).ToBig().Cmp(genesis.Ether(30).Big()) != 0 {
		t.Fatalf("bridge genesis account: nonce %d, code %x, balance %s",
			st.GetNonce(bridge.Address), st.GetCode(bridge.Address), st.GetBalance(bridge.Address))
	}
	waitFor(t, 30*time.Second, "height 1", func() bool { return n.Chain().Head().Number() >= 1 })

	recipient := common.HexToAddress("0xbeef")
	amount := genesis.Ether(3).Big()
	r := c.sendTx(c.user, bridge.Address, amount, bridge.PackDeposit(recipient))
	if r.Status != 1 || len(r.Logs) != 1 {
		t.Fatalf("deposit: status %d, %d logs", r.Status, len(r.Logs))
	}
	at := r.BlockNumber.Uint64()
	logged, err := bridge.ParseDeposit(r.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := block.Operation{Kind: block.OpDeposit, L1Block: block.L1Number(at), Index: 0,
		From: crypto.PubkeyToAddress(c.user.PublicKey), To: recipient, Amount: amount}
	if !reflect.DeepEqual(logged, want) {
		t.Fatalf("Deposit log %+v, want %+v", logged, want)
	}
	st, err = n.Chain().StateAt(at)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := bridge.ReadOperations(st, block.L1Number(at))
	if err != nil || len(stored) != 1 || !reflect.DeepEqual(stored[0], want) {
		t.Fatalf("stored operations %+v, %v", stored, err)
	}
	if got := st.GetBalance(bridge.Address).ToBig(); got.Cmp(genesis.Ether(33).Big()) != 0 {
		t.Fatalf("bridge holds %s after the deposit", got)
	}
	to := bridge.Address
	data := hexutil.Bytes(bridge.PackOperationsCall(block.L1Number(at)))
	ret, err := n.RPCBackend().Call(context.Background(), ethrpc.CallArgs{To: &to, Data: &data}, at)
	if err != nil {
		t.Fatal(err)
	}
	viewed, err := bridge.UnpackOperations(ret)
	if err != nil || !reflect.DeepEqual(viewed, stored) {
		t.Fatalf("eth_call operations(%d) = %+v, %v", at, viewed, err)
	}
}

// TestNoRollupSectionKeepsTheL1Genesis: without a rollup section there is
// no bridge and the genesis state is the allocations plus the staking
// contract, exactly as before the rollup existed.
func TestNoRollupSectionKeepsTheL1Genesis(t *testing.T) {
	c := newMemCluster(t, 1)
	n := c.start(0, memdb.New())
	if n.Chain().Registry().IsSystemContract(bridge.Address) {
		t.Fatal("the bridge is registered without a rollup section")
	}
	alloc := c.gen.StateAlloc()
	acc, err := staking.GenesisAccount(c.gen)
	if err != nil {
		t.Fatal(err)
	}
	alloc[staking.Address] = acc
	root, err := statedb.New(rawdb.NewMemoryDatabase()).ApplyAlloc(alloc)
	if err != nil {
		t.Fatal(err)
	}
	if want := c.gen.Block(root).Hash(); n.Chain().GenesisHash() != want {
		t.Fatalf("genesis hash %s, want %s", n.Chain().GenesisHash(), want)
	}
}

// TestUnbackedRollupGenesisIsRefused: a validator refuses a genesis whose
// L2 prefunds the bridge's genesis balance does not cover exactly.
func TestUnbackedRollupGenesisIsRefused(t *testing.T) {
	c := newMemClusterWith(t, 1, rollupGenesis(genesis.Ether(29)))
	host, err := c.net.NewHost("refused")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	_, err = New(Config{Genesis: c.gen, DB: memdb.New(), Network: host})
	if !errors.Is(err, rollupconfig.ErrUnbacked) {
		t.Fatalf("got %v, want ErrUnbacked", err)
	}
}
