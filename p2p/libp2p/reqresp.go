package libp2p

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	msmux "github.com/multiformats/go-multistream"

	"github.com/bilayer/bilayer/p2p"
)

// Response status bytes.
const (
	statusOK          byte = 0 // a frame with the response follows
	statusHandlerErr  byte = 1 // a frame with the handler's error text follows
	statusReqTooLarge byte = 2 // the request exceeded the server's limit
	statusRespTooBig  byte = 3 // the handler's response exceeded the server's limit
)

// maxErrorText bounds the error text a server sends back.
const maxErrorText = 1 << 10

// ErrBadFrame is returned for a malformed request or response frame.
var ErrBadFrame = errors.New("libp2p: malformed frame")

// Handle registers fn as the stream handler of p; see p2p.Network.
func (h *Host) Handle(p p2p.Protocol, fn p2p.Handler) error {
	if p.MaxRequest <= 0 || p.MaxResponse <= 0 {
		return fmt.Errorf("handle %s: %w", p.Name, p2p.ErrBadLimit)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return p2p.ErrClosed
	}
	if h.handlers[p.Name] {
		return fmt.Errorf("handle %s: %w", p.Name, p2p.ErrAlreadyRegistered)
	}
	h.handlers[p.Name] = true
	h.h.SetStreamHandler(protocol.ID(p.Name), func(s network.Stream) { h.serve(s, p, fn) })
	return nil
}

// serve answers one request stream.
func (h *Host) serve(s network.Stream, p p2p.Protocol, fn p2p.Handler) {
	from := s.Conn().RemotePeer()
	if err := s.SetDeadline(time.Now().Add(h.cfg.RequestTimeout)); err != nil {
		_ = s.Reset()
		return
	}
	r := bufio.NewReader(s)
	req, err := readFrame(r, p.MaxRequest)
	if errors.Is(err, p2p.ErrMessageTooLarge) {
		h.reply(s, statusReqTooLarge, nil)
		return
	}
	if err != nil {
		h.log.Debug("bad request", "proto", p.Name, "peer", from, "err", err)
		_ = s.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.RequestTimeout)
	defer cancel()
	resp, err := fn(ctx, p2p.PeerID(from.String()), req)
	switch {
	case err != nil:
		msg := []byte(err.Error())
		if len(msg) > maxErrorText {
			msg = msg[:maxErrorText]
		}
		h.reply(s, statusHandlerErr, msg)
	case len(resp) > p.MaxResponse:
		h.reply(s, statusRespTooBig, nil)
	default:
		h.reply(s, statusOK, resp)
	}
}

// reply writes a status byte and, for OK and handler errors, a frame, then
// closes the stream.
func (h *Host) reply(s network.Stream, status byte, body []byte) {
	if _, err := s.Write(encodeResponse(status, body)); err != nil {
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

// Request sends req to peer over p and reads the response; see
// p2p.Network.
func (h *Host) Request(ctx context.Context, to p2p.PeerID, p p2p.Protocol, req []byte) ([]byte, error) {
	if h.isClosed() {
		return nil, p2p.ErrClosed
	}
	if len(req) > p.MaxRequest {
		return nil, fmt.Errorf("request %s: %d bytes (limit %d): %w", p.Name, len(req), p.MaxRequest, p2p.ErrMessageTooLarge)
	}
	pid, err := peer.Decode(string(to))
	if err != nil || h.h.Network().Connectedness(pid) != network.Connected {
		return nil, fmt.Errorf("request %s: %w: %s", p.Name, p2p.ErrNotConnected, to)
	}
	resp, err := h.roundTrip(ctx, pid, p, req)
	if err != nil {
		if cerr := ctxErr(ctx); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return nil, fmt.Errorf("request %s to %s: %w", p.Name, to, err)
	}
	return resp, nil
}

// ctxErr is ctx.Err(), except that a deadline already passed counts even
// if ctx's timer has not fired yet: the stream deadline (the same instant)
// may expire first.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// roundTrip opens a stream, writes the request frame and reads the answer.
func (h *Host) roundTrip(ctx context.Context, pid peer.ID, p p2p.Protocol, req []byte) ([]byte, error) {
	s, err := h.h.NewStream(network.WithNoDial(ctx, "request"), pid, protocol.ID(p.Name))
	if err != nil {
		var ns msmux.ErrNotSupported[protocol.ID]
		if errors.As(err, &ns) {
			return nil, p2p.ErrUnsupportedProtocol
		}
		if ctx.Err() == nil && (errors.Is(err, network.ErrReset) || h.h.Network().Connectedness(pid) != network.Connected) {
			// The connection went away while the stream was opened: the
			// peer closed it (it blocks us, or is shutting down).
			return nil, fmt.Errorf("open stream: %w: the connection closed (%v)", p2p.ErrNotConnected, err)
		}
		return nil, fmt.Errorf("open stream: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(h.cfg.RequestTimeout)
	}
	if err := s.SetDeadline(deadline); err != nil {
		_ = s.Reset()
		return nil, fmt.Errorf("set deadline: %w", err)
	}
	if _, err := s.Write(appendFrame(make([]byte, 0, binary.MaxVarintLen64+len(req)), req)); err != nil {
		_ = s.Reset()
		return nil, fmt.Errorf("write request: %w", err)
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return nil, fmt.Errorf("close write: %w", err)
	}
	resp, err := readResponse(bufio.NewReader(s), p.MaxResponse)
	if err != nil {
		_ = s.Reset()
		return nil, err
	}
	_ = s.Close()
	return resp, nil
}

// encodeResponse is a status byte followed, for OK and handler errors, by
// a frame with body.
func encodeResponse(status byte, body []byte) []byte {
	buf := make([]byte, 0, 1+binary.MaxVarintLen64+len(body))
	buf = append(buf, status)
	if status == statusOK || status == statusHandlerErr {
		buf = appendFrame(buf, body)
	}
	return buf
}

// appendFrame appends a uvarint length and b.
func appendFrame(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

// readResponse reads a status byte and its frame.
func readResponse(r *bufio.Reader, maxResponse int) ([]byte, error) {
	status, err := r.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	switch status {
	case statusOK:
		resp, err := readFrame(r, maxResponse)
		if err != nil {
			return nil, fmt.Errorf("read response: %w", err)
		}
		return resp, nil
	case statusHandlerErr:
		msg, err := readFrame(r, maxErrorText)
		if err != nil {
			return nil, fmt.Errorf("read error response: %w", err)
		}
		return nil, fmt.Errorf("%w: %s", p2p.ErrRemote, msg)
	case statusReqTooLarge:
		return nil, fmt.Errorf("refused by peer: request over its limit: %w", p2p.ErrMessageTooLarge)
	case statusRespTooBig:
		return nil, fmt.Errorf("refused by peer: response over its limit: %w", p2p.ErrMessageTooLarge)
	default:
		return nil, fmt.Errorf("%w: response status %d", ErrBadFrame, status)
	}
}

// readFrame reads a uvarint length and that many bytes, refusing lengths
// over limit before reading them.
func readFrame(r *bufio.Reader, limit int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, fmt.Errorf("%w: length: %v", ErrBadFrame, err)
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("frame of %d bytes (limit %d): %w", n, limit, p2p.ErrMessageTooLarge)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrBadFrame, err)
	}
	return buf, nil
}
