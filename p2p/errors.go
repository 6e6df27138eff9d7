package p2p

import "errors"

// Sentinel errors that callers check with errors.Is.
var (
	// ErrClosed is returned by anything used after Close or Cancel.
	ErrClosed = errors.New("p2p: closed")
	// ErrMessageTooLarge is returned when a message exceeds its limit.
	ErrMessageTooLarge = errors.New("p2p: message too large")
	// ErrNotConnected is returned by Request to a peer that is not
	// connected.
	ErrNotConnected = errors.New("p2p: peer not connected")
	// ErrRemote wraps an error reported by the remote request handler.
	ErrRemote = errors.New("p2p: remote handler failed")
	// ErrUnsupportedProtocol is returned when the peer does not serve the
	// requested protocol.
	ErrUnsupportedProtocol = errors.New("p2p: protocol not supported by peer")
	// ErrAlreadyJoined is returned when a topic is joined twice.
	ErrAlreadyJoined = errors.New("p2p: topic already joined")
	// ErrAlreadyRegistered is returned when a protocol gets a second
	// handler.
	ErrAlreadyRegistered = errors.New("p2p: protocol already registered")
	// ErrStatusMismatch is returned when a peer's status shows another
	// chain (chain id or genesis hash).
	ErrStatusMismatch = errors.New("p2p: peer is on another chain")
	// ErrBadLimit is returned for a non-positive size limit.
	ErrBadLimit = errors.New("p2p: size limit must be positive")
)
