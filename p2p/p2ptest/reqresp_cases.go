package p2ptest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/p2p"
)

// testRequestResponse: a round trip returns the handler's answer and tells
// the handler who asked; limits are enforced by the requester and by the
// server; handler errors, unknown protocols, unconnected peers and
// deadlines come back as the documented errors.
func testRequestResponse(t *testing.T, f Factory) {
	hosts := cluster(t, f, Options{})
	client, server := hosts[0], hosts[1]
	small := func(name string) p2p.Protocol {
		return p2p.Protocol{Name: "/bilayer/0/test-" + name + "/1", MaxRequest: 64, MaxResponse: 1024}
	}
	echo, big, fail, slow := small("echo"), small("big"), small("fail"), small("slow")
	bigServer := big
	bigServer.MaxResponse = 4096
	mustHandle(t, server, echo, func(_ context.Context, from p2p.PeerID, req []byte) ([]byte, error) {
		return append([]byte(string(from)+":"), req...), nil
	})
	mustHandle(t, server, bigServer, func(context.Context, p2p.PeerID, []byte) ([]byte, error) {
		return make([]byte, 2048), nil
	})
	mustHandle(t, server, fail, func(context.Context, p2p.PeerID, []byte) ([]byte, error) {
		return nil, errors.New("boom: no such block")
	})
	mustHandle(t, server, slow, func(ctx context.Context, _ p2p.PeerID, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err := server.Handle(echo, nil); !errors.Is(err, p2p.ErrAlreadyRegistered) {
		t.Errorf("second handler: got %v, want ErrAlreadyRegistered", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()

	resp, err := client.Request(ctx, server.ID(), echo, []byte("ping"))
	if want := []byte(string(client.ID()) + ":ping"); err != nil || !bytes.Equal(resp, want) {
		t.Errorf("echo: got %q, %v; want %q", resp, err, want)
	}
	if _, err := client.Request(ctx, server.ID(), echo, make([]byte, 65)); !errors.Is(err, p2p.ErrMessageTooLarge) {
		t.Errorf("request over the limit: got %v, want ErrMessageTooLarge", err)
	}
	if _, err := client.Request(ctx, server.ID(), big, nil); !errors.Is(err, p2p.ErrMessageTooLarge) {
		t.Errorf("response over the requester's limit: got %v, want ErrMessageTooLarge", err)
	}
	// The server refuses to send what its own limit forbids.
	mustHandle(t, hosts[2], echo, func(context.Context, p2p.PeerID, []byte) ([]byte, error) {
		return make([]byte, 2048), nil
	})
	roomy := echo
	roomy.MaxResponse = 1 << 20
	if _, err := client.Request(ctx, hosts[2].ID(), roomy, nil); !errors.Is(err, p2p.ErrMessageTooLarge) {
		t.Errorf("response over the server's limit: got %v, want ErrMessageTooLarge", err)
	}
	_, err = client.Request(ctx, server.ID(), fail, nil)
	if !errors.Is(err, p2p.ErrRemote) || !strings.Contains(err.Error(), "boom: no such block") {
		t.Errorf("handler error: got %v, want ErrRemote with the handler's message", err)
	}
	if _, err := client.Request(ctx, server.ID(), small("none"), nil); !errors.Is(err, p2p.ErrUnsupportedProtocol) {
		t.Errorf("unknown protocol: got %v, want ErrUnsupportedProtocol", err)
	}
	if _, err := client.Request(ctx, "not-a-peer", echo, nil); !errors.Is(err, p2p.ErrNotConnected) {
		t.Errorf("unknown peer: got %v, want ErrNotConnected", err)
	}
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	if _, err := client.Request(short, server.ID(), slow, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow handler: got %v, want context.DeadlineExceeded", err)
	}
	// The connection survives all of the above.
	if _, err := client.Request(ctx, server.ID(), echo, []byte("again")); err != nil {
		t.Errorf("echo after errors: %v", err)
	}
}

func mustHandle(t *testing.T, n p2p.Network, p p2p.Protocol, h p2p.Handler) {
	t.Helper()
	if err := n.Handle(p, h); err != nil {
		t.Fatalf("handle %s: %v", p.Name, err)
	}
}
