package ethrpc

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
)

// MaxProofKeys bounds the storage keys one eth_getProof call may ask for.
const MaxProofKeys = 1024

// AccountResult is the eth_getProof result (EIP-1186).
type AccountResult struct {
	Address      common.Address  `json:"address"`
	AccountProof []string        `json:"accountProof"`
	Balance      *hexutil.Big    `json:"balance"`
	CodeHash     common.Hash     `json:"codeHash"`
	Nonce        hexutil.Uint64  `json:"nonce"`
	StorageHash  common.Hash     `json:"storageHash"`
	StorageProof []StorageResult `json:"storageProof"`
}

// StorageResult is the proof of one storage slot.
type StorageResult struct {
	Key   string       `json:"key"`
	Value *hexutil.Big `json:"value"`
	Proof []string     `json:"proof"`
}

// proofList collects the trie nodes of a Merkle proof, in order.
type proofList []string

func (l *proofList) Put(key []byte, value []byte) error {
	*l = append(*l, hexutil.Encode(value))
	return nil
}

func (l *proofList) Delete(key []byte) error {
	return fmt.Errorf("proof list: delete is not supported")
}

// GetProof returns the Merkle proof of an account and some of its storage
// slots against the state root of a block (eth_getProof, EIP-1186). System
// contracts keep their state in storage, so their state is provable too.
func (api *EthAPI) GetProof(ctx context.Context, addr common.Address, storageKeys []common.Hash, at rpc.BlockNumberOrHash) (*AccountResult, error) {
	if len(storageKeys) > MaxProofKeys {
		return nil, fmt.Errorf("at most %d storage keys per proof, got %d", MaxProofKeys, len(storageKeys))
	}
	n, err := api.resolve(ctx, &at)
	if err != nil {
		return nil, err
	}
	b, err := api.b.BlockByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", n, err)
	}
	st, err := api.b.StateAt(ctx, n)
	if err != nil {
		return nil, err
	}
	root := b.Header.Root
	storageRoot := st.GetStorageRoot(addr)
	res := &AccountResult{
		Address:      addr,
		Balance:      (*hexutil.Big)(st.GetBalance(addr).ToBig()),
		CodeHash:     st.GetCodeHash(addr),
		Nonce:        hexutil.Uint64(st.GetNonce(addr)),
		StorageHash:  storageRoot,
		StorageProof: make([]StorageResult, len(storageKeys)),
	}
	if res.CodeHash == (common.Hash{}) {
		res.CodeHash = types.EmptyCodeHash
	}
	if storageRoot == (common.Hash{}) {
		res.StorageHash = types.EmptyRootHash
	}
	if len(storageKeys) > 0 {
		for i, key := range storageKeys {
			res.StorageProof[i] = StorageResult{Key: key.Hex(), Value: (*hexutil.Big)(st.GetState(addr, key).Big()), Proof: []string{}}
		}
		if res.StorageHash != types.EmptyRootHash {
			tr, err := st.Database().OpenStorageTrie(root, addr, res.StorageHash, nil)
			if err != nil {
				return nil, fmt.Errorf("open storage trie of %s: %w", addr, err)
			}
			for i, key := range storageKeys {
				var proof proofList
				if err := tr.Prove(crypto.Keccak256(key.Bytes()), &proof); err != nil {
					return nil, fmt.Errorf("prove slot %s of %s: %w", key, addr, err)
				}
				res.StorageProof[i].Proof = proof
			}
		}
	}
	tr, err := st.Database().OpenTrie(root)
	if err != nil {
		return nil, fmt.Errorf("open state trie at block %d: %w", n, err)
	}
	var accountProof proofList
	if err := tr.Prove(crypto.Keccak256(addr.Bytes()), &accountProof); err != nil {
		return nil, fmt.Errorf("prove account %s: %w", addr, err)
	}
	res.AccountProof = accountProof
	return res, nil
}
