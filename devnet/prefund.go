package devnet

import (
	"encoding/binary"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// PrefundBalance is what each prefunded account holds at genesis (as each
// of the state-transition benchmark's 100k accounts does).
var PrefundBalance = genesis.Ether(1)

// MaxPrefund bounds GenerateOptions.Prefund: a million accounts make a
// genesis file of about 70 MB, which every validator parses at each start.
const MaxPrefund = 1_000_000

// PrefundAddresses returns the n accounts a devnet generated with
// GenerateOptions.Prefund = n funds besides the usual ones: address i is
// the last 20 bytes of keccak256("bilayer-prefund" ‖ i as 8 big-endian
// bytes), so a load generator can send to them without reading the
// genesis. Nobody holds their keys.
func PrefundAddresses(n int) []common.Address {
	addrs := make([]common.Address, n)
	buf := append([]byte("bilayer-prefund"), make([]byte, 8)...)
	for i := range addrs {
		binary.BigEndian.PutUint64(buf[len(buf)-8:], uint64(i))
		addrs[i] = common.BytesToAddress(crypto.Keccak256(buf))
	}
	return addrs
}

// addPrefund gives each of PrefundAddresses(n) PrefundBalance in g's
// allocation (an address the genesis already funds keeps its allocation).
func addPrefund(g *genesis.Genesis, n int) {
	for _, a := range PrefundAddresses(n) {
		if _, ok := g.Alloc[a]; !ok {
			g.Alloc[a] = genesis.Account{Balance: genesis.NewAmount(PrefundBalance.Big())}
		}
	}
}
