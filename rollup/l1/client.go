package l1

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math/big"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// DefaultPollInterval is how often the client polls the L1 head when
// waiting, unless WithPollInterval says otherwise.
const DefaultPollInterval = 250 * time.Millisecond

// Ref is a reference to an L1 block: the L1Ref an L2 block names as its
// origin (number, hash, base fee), plus its parent's hash and timestamp.
type Ref struct {
	block.L1Ref
	ParentHash common.Hash
	Time       uint64
}

// RefOf returns the reference to the block with header h. The hash is
// computed from the header (our L1 headers are go-ethereum headers).
func RefOf(h *types.Header) Ref {
	var baseFee *big.Int
	if h.BaseFee != nil {
		baseFee = new(big.Int).Set(h.BaseFee)
	}
	return Ref{
		L1Ref:      block.L1Ref{Number: block.L1Number(h.Number.Uint64()), Hash: h.Hash(), BaseFee: baseFee},
		ParentHash: h.ParentHash,
		Time:       h.Time,
	}
}

// String renders the reference as "#number (hash prefix)".
func (r Ref) String() string { return fmt.Sprintf("#%d (%s)", r.Number, r.Hash.TerminalString()) }

// Client reads the L1 chain over JSON-RPC. It is safe for concurrent use.
type Client struct {
	rpc   *rpc.Client
	eth   *ethclient.Client
	poll  time.Duration
	owned bool // Close closes rpc
}

// Option configures a Client.
type Option func(*Client)

// WithPollInterval sets how often the client polls the head while waiting
// (WaitForBlock, Blocks, Pending.Wait). Non-positive values are ignored.
func WithPollInterval(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.poll = d
		}
	}
}

// Dial connects to the L1 JSON-RPC endpoint at url (http://, ws:// or an
// IPC path). Close releases the connection.
func Dial(ctx context.Context, url string, opts ...Option) (*Client, error) {
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("l1: dial %s: %w", url, err)
	}
	c := New(rc, opts...)
	c.owned = true
	return c, nil
}

// New wraps an existing RPC client; Close does not close it.
func New(rc *rpc.Client, opts ...Option) *Client {
	c := &Client{rpc: rc, eth: ethclient.NewClient(rc), poll: DefaultPollInterval}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Close closes the connection if Dial opened it.
func (c *Client) Close() {
	if c.owned {
		c.rpc.Close()
	}
}

// RPC returns the underlying RPC client, for calls this client lacks.
func (c *Client) RPC() *rpc.Client { return c.rpc }

// PollInterval is how often the client polls while waiting.
func (c *Client) PollInterval() time.Duration { return c.poll }

// ChainID returns the node's chain id.
func (c *Client) ChainID(ctx context.Context) (*big.Int, error) {
	id, err := c.eth.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("l1: get chain id: %w", err)
	}
	return id, nil
}

// CheckChainID returns an error wrapping ErrWrongChain unless the node
// serves chain want.
func (c *Client) CheckChainID(ctx context.Context, want uint64) error {
	id, err := c.ChainID(ctx)
	if err != nil {
		return err
	}
	if !id.IsUint64() || id.Uint64() != want {
		return fmt.Errorf("l1: %w: node serves chain %s, want %d", ErrWrongChain, id, want)
	}
	return nil
}

// HeadNumber returns the number of the latest L1 block. L1 blocks are
// final once committed, so the head is final.
func (c *Client) HeadNumber(ctx context.Context) (block.L1Number, error) {
	n, err := c.eth.BlockNumber(ctx)
	if err != nil {
		return 0, fmt.Errorf("l1: get head number: %w", err)
	}
	return block.L1Number(n), nil
}

// Header returns the header of L1 block n. It checks that the node's
// block hash is the hash of the header it returned.
func (c *Client) Header(ctx context.Context, n block.L1Number) (*types.Header, error) {
	h, err := c.header(ctx, fmt.Sprintf("get block %d", n), hexutil.EncodeUint64(uint64(n)))
	if err != nil {
		return nil, err
	}
	if h.Number.Uint64() != uint64(n) {
		return nil, fmt.Errorf("l1: get block %d: %w: node returned block %s", n, ErrBadBlock, h.Number)
	}
	return h, nil
}

// HeadHeader returns the header of the latest L1 block.
func (c *Client) HeadHeader(ctx context.Context) (*types.Header, error) {
	return c.header(ctx, "get head block", "latest")
}

// HeaderByHash returns the header of the L1 block with hash h.
func (c *Client) HeaderByHash(ctx context.Context, h common.Hash) (*types.Header, error) {
	what := fmt.Sprintf("get block %s", h.TerminalString())
	head, err := c.headerBy(ctx, what, "eth_getBlockByHash", h)
	if err != nil {
		return nil, err
	}
	if head.Hash() != h {
		return nil, fmt.Errorf("l1: %s: %w: node returned block %s", what, ErrBadBlock, head.Hash())
	}
	return head, nil
}

// BlockRef returns the reference to L1 block n.
func (c *Client) BlockRef(ctx context.Context, n block.L1Number) (Ref, error) {
	h, err := c.Header(ctx, n)
	if err != nil {
		return Ref{}, err
	}
	return RefOf(h), nil
}

// HeadRef returns the reference to the latest L1 block.
func (c *Client) HeadRef(ctx context.Context) (Ref, error) {
	h, err := c.HeadHeader(ctx)
	if err != nil {
		return Ref{}, err
	}
	return RefOf(h), nil
}

// BlockRefByHash returns the reference to the L1 block with hash h.
func (c *Client) BlockRefByHash(ctx context.Context, h common.Hash) (Ref, error) {
	head, err := c.HeaderByHash(ctx, h)
	if err != nil {
		return Ref{}, err
	}
	return RefOf(head), nil
}

func (c *Client) header(ctx context.Context, what, tag string) (*types.Header, error) {
	return c.headerBy(ctx, what, "eth_getBlockByNumber", tag)
}

// headerBy fetches a header without its transactions and checks the hash
// the node reports against the hash of the header it sent.
func (c *Client) headerBy(ctx context.Context, what, method string, arg any) (*types.Header, error) {
	var raw json.RawMessage
	if err := c.rpc.CallContext(ctx, &raw, method, arg, false); err != nil {
		return nil, fmt.Errorf("l1: %s: %w", what, err)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("l1: %s: %w", what, ErrNotFound)
	}
	var h types.Header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("l1: %s: decode header: %w", what, err)
	}
	var reported struct {
		Hash *common.Hash `json:"hash"`
	}
	if err := json.Unmarshal(raw, &reported); err != nil {
		return nil, fmt.Errorf("l1: %s: decode hash: %w", what, err)
	}
	if reported.Hash != nil && *reported.Hash != h.Hash() {
		return nil, fmt.Errorf("l1: %s: %w: node says hash %s, header hashes to %s", what, ErrBadBlock, reported.Hash, h.Hash())
	}
	return &h, nil
}

// WaitForBlock polls until the L1 head reaches n and returns the head it
// saw. Failed polls are retried (the node may be restarting) until ctx
// ends; then the error says what it was waiting for and the last failure.
func (c *Client) WaitForBlock(ctx context.Context, n block.L1Number) (block.L1Number, error) {
	for {
		head, err := c.HeadNumber(ctx)
		if err == nil && head >= n {
			return head, nil
		}
		if serr := c.sleep(ctx); serr != nil {
			if err != nil {
				return 0, fmt.Errorf("l1: wait for block %d: %w (last poll: %v)", n, serr, err)
			}
			return 0, fmt.Errorf("l1: wait for block %d (head %d): %w", n, head, serr)
		}
	}
}

// sleep waits one poll interval, or returns ctx's error.
func (c *Client) sleep(ctx context.Context) error {
	t := time.NewTimer(c.poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Blocks yields the references to L1 blocks from, from+1, ... in order,
// polling for each block that is not committed yet. It checks that each
// block's parent hash is the previous block's hash. On an error (including
// ctx ending) it yields the error once and stops.
func (c *Client) Blocks(ctx context.Context, from block.L1Number) iter.Seq2[Ref, error] {
	return func(yield func(Ref, error) bool) {
		var prev *Ref
		for n := from; ; n++ {
			if _, err := c.WaitForBlock(ctx, n); err != nil {
				yield(Ref{}, err)
				return
			}
			ref, err := c.BlockRef(ctx, n)
			if err != nil {
				yield(Ref{}, err)
				return
			}
			if prev != nil && ref.ParentHash != prev.Hash {
				yield(Ref{}, fmt.Errorf("l1: block %d: %w: parent hash %s is not block %d's hash %s",
					n, ErrBadBlock, ref.ParentHash, prev.Number, prev.Hash))
				return
			}
			if !yield(ref, nil) {
				return
			}
			prev = &ref
		}
	}
}

// FilterLogs returns the logs matching q.
func (c *Client) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	logs, err := c.eth.FilterLogs(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("l1: get logs %s: %w", describeQuery(q), err)
	}
	return logs, nil
}

func describeQuery(q ethereum.FilterQuery) string {
	if q.BlockHash != nil {
		return "of block " + q.BlockHash.TerminalString()
	}
	from, to := "earliest", "latest"
	if q.FromBlock != nil {
		from = q.FromBlock.String()
	}
	if q.ToBlock != nil {
		to = q.ToBlock.String()
	}
	return fmt.Sprintf("of blocks %s-%s", from, to)
}

// CallContract runs a read-only call of to with data on the state after
// block atBlock (the head if nil). A revert is returned as an error that
// wraps a *RevertError carrying the reason.
func (c *Client) CallContract(ctx context.Context, to common.Address, data []byte, atBlock *block.L1Number) ([]byte, error) {
	return c.Call(ctx, ethereum.CallMsg{To: &to, Data: data}, atBlock)
}

// Call runs msg read-only on the state after block atBlock (the head if
// nil), with its sender, value and gas. A revert is returned as an error
// that wraps a *RevertError carrying the reason.
func (c *Client) Call(ctx context.Context, msg ethereum.CallMsg, atBlock *block.L1Number) ([]byte, error) {
	out, err := c.eth.CallContract(ctx, msg, blockArg(atBlock))
	if err != nil {
		return nil, fmt.Errorf("l1: call %s at %s: %w", target(msg.To), blockLabel(atBlock), asRevert(err))
	}
	return out, nil
}

// EstimateGas returns the gas msg needs on the head state. A revert is
// returned as an error that wraps a *RevertError carrying the reason.
func (c *Client) EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error) {
	gas, err := c.eth.EstimateGas(ctx, msg)
	if err != nil {
		return 0, fmt.Errorf("l1: estimate gas of a call to %s: %w", target(msg.To), asRevert(err))
	}
	return gas, nil
}

// BalanceAt returns addr's balance after block atBlock (the head if nil).
func (c *Client) BalanceAt(ctx context.Context, addr common.Address, atBlock *block.L1Number) (*big.Int, error) {
	b, err := c.eth.BalanceAt(ctx, addr, blockArg(atBlock))
	if err != nil {
		return nil, fmt.Errorf("l1: get balance of %s at %s: %w", addr, blockLabel(atBlock), err)
	}
	return b, nil
}

// NonceAt returns addr's nonce after block atBlock (the head if nil).
func (c *Client) NonceAt(ctx context.Context, addr common.Address, atBlock *block.L1Number) (uint64, error) {
	n, err := c.eth.NonceAt(ctx, addr, blockArg(atBlock))
	if err != nil {
		return 0, fmt.Errorf("l1: get nonce of %s at %s: %w", addr, blockLabel(atBlock), err)
	}
	return n, nil
}

// PendingNonceAt returns addr's next nonce counting its transactions in
// the node's pool.
func (c *Client) PendingNonceAt(ctx context.Context, addr common.Address) (uint64, error) {
	n, err := c.eth.PendingNonceAt(ctx, addr)
	if err != nil {
		return 0, fmt.Errorf("l1: get pending nonce of %s: %w", addr, err)
	}
	return n, nil
}

// SuggestTip returns the node's suggested priority fee
// (eth_maxPriorityFeePerGas).
func (c *Client) SuggestTip(ctx context.Context) (*big.Int, error) {
	tip, err := c.eth.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("l1: get suggested tip: %w", err)
	}
	return tip, nil
}

// SendTransaction submits a signed transaction. The node's error is
// wrapped unchanged, so callers can inspect it.
func (c *Client) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := c.eth.SendTransaction(ctx, tx); err != nil {
		return fmt.Errorf("l1: send transaction %s (nonce %d): %w", tx.Hash(), tx.Nonce(), err)
	}
	return nil
}

// TransactionReceipt returns the receipt of the included transaction
// hash, or an error wrapping ErrNotFound if it is not included (yet).
func (c *Client) TransactionReceipt(ctx context.Context, hash common.Hash) (*types.Receipt, error) {
	r, err := c.eth.TransactionReceipt(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("l1: get receipt of %s: %w", hash, err)
	}
	return r, nil
}

func blockArg(n *block.L1Number) *big.Int {
	if n == nil {
		return nil
	}
	return new(big.Int).SetUint64(uint64(*n))
}

func blockLabel(n *block.L1Number) string {
	if n == nil {
		return "latest block"
	}
	return fmt.Sprintf("block %d", *n)
}

func target(to *common.Address) string {
	if to == nil {
		return "no address"
	}
	return to.Hex()
}
