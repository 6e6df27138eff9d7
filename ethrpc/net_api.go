package ethrpc

import (
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// NetAPI is the net_ namespace.
type NetAPI struct{ b Backend }

// Version returns the network id, which is the chain id, in decimal
// (net_version).
func (api *NetAPI) Version() string { return api.b.ChainID().String() }

// Listening reports that the node accepts peers (net_listening).
func (api *NetAPI) Listening() bool { return true }

// PeerCount returns the number of connected peers (net_peerCount).
func (api *NetAPI) PeerCount() hexutil.Uint { return hexutil.Uint(api.b.PeerCount()) }

// Web3API is the web3_ namespace.
type Web3API struct{ b Backend }

// ClientVersion returns the node's name and version (web3_clientVersion).
func (api *Web3API) ClientVersion() string { return api.b.ClientVersion() }

// Sha3 returns keccak256 of the input (web3_sha3).
func (api *Web3API) Sha3(input hexutil.Bytes) hexutil.Bytes { return crypto.Keccak256(input) }
