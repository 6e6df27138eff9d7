package syscontract

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
)

// ErrNotSystemContract means an address has no system contract.
var ErrNotSystemContract = errors.New("not a system contract")

// ErrBadContract means a contract definition is inconsistent (registry
// construction only).
var ErrBadContract = errors.New("invalid system contract definition")

type boundMethod struct {
	abi *abi.Method
	Method
}

type entry struct {
	contract   Contract
	methods    map[[4]byte]boundMethod
	maxData    uint64
	endBlocker EndBlocker
}

// Registry holds the system contracts of a chain. It is immutable after
// NewRegistry and safe for concurrent use; a nil *Registry has no contracts.
type Registry struct {
	entries map[common.Address]*entry
	order   []common.Address // sorted: the end-of-block order
}

// NewRegistry checks each contract (every ABI function has a Method with a
// Handler and every Method an ABI function; addresses are unique) and
// returns the registry.
func NewRegistry(contracts ...Contract) (*Registry, error) {
	r := &Registry{entries: make(map[common.Address]*entry, len(contracts))}
	for _, c := range contracts {
		addr := c.Address()
		if _, dup := r.entries[addr]; dup {
			return nil, fmt.Errorf("%w: two contracts at %s", ErrBadContract, addr)
		}
		e, err := bind(c)
		if err != nil {
			return nil, fmt.Errorf("register contract %s: %w", addr, err)
		}
		r.entries[addr] = e
	}
	r.order = slices.SortedFunc(maps.Keys(r.entries), common.Address.Cmp)
	return r, nil
}

func bind(c Contract) (*entry, error) {
	a := c.ABI()
	if a == nil {
		return nil, fmt.Errorf("%w: no ABI", ErrBadContract)
	}
	impl := c.Methods()
	e := &entry{contract: c, methods: make(map[[4]byte]boundMethod, len(a.Methods)), maxData: c.MaxCallDataSize()}
	if e.maxData == 0 {
		e.maxData = DefaultMaxCallDataSize
	}
	for name := range a.Methods {
		m := a.Methods[name]
		h, ok := impl[name]
		if !ok || h.Handler == nil {
			return nil, fmt.Errorf("%w: ABI method %q has no handler", ErrBadContract, name)
		}
		e.methods[[4]byte(m.ID)] = boundMethod{abi: &m, Method: h}
	}
	for name := range impl {
		if _, ok := a.Methods[name]; !ok {
			return nil, fmt.Errorf("%w: handler %q is not in the ABI", ErrBadContract, name)
		}
	}
	if eb, ok := c.(EndBlocker); ok {
		e.endBlocker = eb
	}
	return e, nil
}

// IsSystemContract reports whether addr holds a system contract.
func (r *Registry) IsSystemContract(addr common.Address) bool {
	if r == nil {
		return false
	}
	_, ok := r.entries[addr]
	return ok
}

// Contract returns the contract at addr.
func (r *Registry) Contract(addr common.Address) (Contract, bool) {
	if r == nil {
		return nil, false
	}
	e, ok := r.entries[addr]
	if !ok {
		return nil, false
	}
	return e.contract, true
}

// MaxCallDataSize returns the calldata limit of the contract at addr, or 0
// if there is none.
func (r *Registry) MaxCallDataSize(addr common.Address) uint64 {
	if r == nil {
		return 0
	}
	if e, ok := r.entries[addr]; ok {
		return e.maxData
	}
	return 0
}

// Addresses returns the contract addresses in ascending order.
func (r *Registry) Addresses() []common.Address {
	if r == nil {
		return nil
	}
	return slices.Clone(r.order)
}

// Accounts returns the genesis entries of the system contract accounts
// (nonce 1, MarkerCode, zero balance), to merge into the genesis alloc.
func (r *Registry) Accounts() map[common.Address]types.Account {
	out := make(map[common.Address]types.Account)
	if r == nil {
		return out
	}
	for _, addr := range r.order {
		out[addr] = types.Account{Nonce: 1, Code: MarkerCode(), Balance: new(big.Int)}
	}
	return out
}

// Install gives every system contract account its nonce (1) and marker
// code in sdb, leaving accounts that already have them alone. Call it when
// building the genesis state (or use Accounts to extend the genesis alloc).
func (r *Registry) Install(sdb *state.StateDB) {
	if r == nil {
		return
	}
	for _, addr := range r.order {
		ensureAccount(sdb, addr)
	}
}
