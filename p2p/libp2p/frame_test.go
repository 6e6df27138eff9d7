package libp2p

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/bilayer/bilayer/p2p"
)

func decode(b []byte, limit int) ([]byte, error) {
	return readResponse(bufio.NewReader(bytes.NewReader(b)), limit)
}

func TestResponseFrames(t *testing.T) {
	body := []byte("block bytes")
	got, err := decode(encodeResponse(statusOK, body), 64)
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("ok frame: %q, %v", got, err)
	}
	if _, err := decode(encodeResponse(statusOK, body), len(body)-1); !errors.Is(err, p2p.ErrMessageTooLarge) {
		t.Errorf("over the limit: got %v, want ErrMessageTooLarge", err)
	}
	if _, err := decode(encodeResponse(statusHandlerErr, []byte("no such block")), 64); !errors.Is(err, p2p.ErrRemote) {
		t.Errorf("handler error: got %v, want ErrRemote", err)
	}
	for _, st := range []byte{statusReqTooLarge, statusRespTooBig} {
		if _, err := decode(encodeResponse(st, nil), 64); !errors.Is(err, p2p.ErrMessageTooLarge) {
			t.Errorf("status %d: got %v, want ErrMessageTooLarge", st, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":          nil,
		"unknown status": {9},
		"truncated body": encodeResponse(statusOK, body)[:5],
		"huge length":    {statusOK, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		if _, err := decode(b, 1<<20); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// FuzzReadResponse: no input panics or allocates past the limit, and
// whatever decodes as OK re-encodes to a frame that decodes the same
// (lengths may arrive in non-minimal uvarint form; we accept them).
func FuzzReadResponse(f *testing.F) {
	f.Add(encodeResponse(statusOK, []byte("x")), 16)
	f.Add(encodeResponse(statusHandlerErr, []byte("boom")), 16)
	f.Add([]byte{statusOK, 0x80}, 16)
	f.Add([]byte{statusOK, 0x80, 0x00}, 16) // non-minimal zero length
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		if limit < 0 || limit > 1<<16 {
			return
		}
		got, err := decode(b, limit)
		if err != nil {
			return
		}
		if len(got) > limit {
			t.Fatalf("decoded %d bytes over limit %d", len(got), limit)
		}
		again, err := decode(encodeResponse(statusOK, got), limit)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("decoded %x from %x, but its re-encoding decodes to %x, %v", got, b, again, err)
		}
	})
}
