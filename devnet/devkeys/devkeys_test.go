package devkeys

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// The addresses Hardhat and Anvil print for the development mnemonic.
var wellKnown = []string{
	"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
	"0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
	"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
	"0x90F79bf6EB2c4f870365E785982E1f101E93b906",
	"0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
	"0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
	"0x976EA74026E726554dB657fA54763abd0C3a0aa9",
	"0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
	"0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
	"0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
}

func TestAccountsMatchHardhatAndAnvil(t *testing.T) {
	accs, err := Accounts(Count)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range wellKnown {
		if accs[i].Address != common.HexToAddress(want) {
			t.Errorf("account %d: %s, want %s", i, accs[i].Address, want)
		}
	}
	if got := accs[0].PrivateKeyHex(); got != "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" {
		t.Errorf("account 0 private key %s", got)
	}
	one, err := Get(3)
	if err != nil || one.Address != accs[3].Address {
		t.Fatalf("Get(3) = %v, %v", one.Address, err)
	}
	if _, err := Get(-1); err == nil {
		t.Fatal("negative index accepted")
	}
}

func TestPassphraseChangesKeys(t *testing.T) {
	a, err := FromMnemonic(Mnemonic, "x", 1)
	if err != nil {
		t.Fatal(err)
	}
	if a[0].Address == common.HexToAddress(wellKnown[0]) {
		t.Fatal("passphrase ignored")
	}
}
