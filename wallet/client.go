package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"syscall"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// ErrUnreachable is wrapped by *UnreachableError.
var ErrUnreachable = errors.New("cannot reach the node")

// UnreachableError says that the node at URL did not answer, and what to do.
type UnreachableError struct {
	URL  string
	Hint string // what to do, e.g. "is the devnet running? (make devnet)"
	Err  error
}

// Error reads "cannot reach the node at URL: HINT (cause)".
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%v at %s: %s (%v)", ErrUnreachable, e.URL, e.Hint, e.Err)
}

// Unwrap makes errors.Is(err, ErrUnreachable) hold.
func (e *UnreachableError) Unwrap() error { return ErrUnreachable }

// Client talks to one node's Ethereum JSON-RPC (the L1 validator or the L2
// sequencer: the wallet uses both the same way).
type Client struct {
	url  string
	hint string
	rpc  *rpc.Client
	eth  *ethclient.Client
}

// Dial returns a client for the JSON-RPC endpoint url. HTTP connects
// lazily, so an unreachable node shows up on the first call, as an
// *UnreachableError carrying hint (what the user should check).
func Dial(ctx context.Context, url, hint string) (*Client, error) {
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, (&Client{url: url, hint: hint}).wrap("connect", err)
	}
	return &Client{url: url, hint: hint, rpc: rc, eth: ethclient.NewClient(rc)}, nil
}

// Close releases the connection.
func (c *Client) Close() { c.rpc.Close() }

// URL is the endpoint the client talks to.
func (c *Client) URL() string { return c.url }

// wrap turns a transport failure into an *UnreachableError and adds
// context to everything else.
func (c *Client) wrap(what string, err error) error {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &opErr) || errors.As(err, &dnsErr) {
		return fmt.Errorf("%s: %w", what, &UnreachableError{URL: c.url, Hint: c.hint, Err: err})
	}
	return fmt.Errorf("%s (node %s): %w", what, c.url, err)
}

// ChainID returns the chain id the node serves.
func (c *Client) ChainID(ctx context.Context) (*big.Int, error) {
	id, err := c.eth.ChainID(ctx)
	if err != nil {
		return nil, c.wrap("read chain id", err)
	}
	return id, nil
}

// Balance returns addr's balance at the latest block.
func (c *Client) Balance(ctx context.Context, addr common.Address) (*big.Int, error) {
	b, err := c.eth.BalanceAt(ctx, addr, nil)
	if err != nil {
		return nil, c.wrap(fmt.Sprintf("read balance of %s", addr), err)
	}
	return b, nil
}

// BaseFee returns the base fee of the latest block.
func (c *Client) BaseFee(ctx context.Context) (*big.Int, error) {
	h, err := c.eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, c.wrap("read latest block", err)
	}
	if h.BaseFee == nil {
		return nil, fmt.Errorf("latest block %d from %s has no base fee: the node does not speak EIP-1559", h.Number, c.url)
	}
	return h.BaseFee, nil
}

// notFound reports whether err is the "null result" of ethclient.
func notFound(err error) bool { return errors.Is(err, ethereum.NotFound) }

// Call runs a read-only call (a system contract's view method) on the
// latest state.
func (c *Client) Call(ctx context.Context, to common.Address, data []byte) ([]byte, error) {
	out, err := c.eth.CallContract(ctx, ethereum.CallMsg{To: &to, Data: data}, nil)
	if err != nil {
		return nil, c.wrap(fmt.Sprintf("call %s", to), err)
	}
	return out, nil
}
