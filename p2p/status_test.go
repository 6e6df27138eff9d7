package p2p

import (
	"bytes"
	"errors"
	"testing"
)

func TestStatusRoundTrip(t *testing.T) {
	for _, s := range []Status{
		{},
		{ChainID: 1337, GenesisHash: [32]byte{1, 2, 3}, Head: 42, HeadHash: [32]byte{31: 9}},
		{ChainID: ^uint64(0), Head: ^uint64(0)},
	} {
		b, err := EncodeStatus(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeStatus(b)
		if err != nil || got != s {
			t.Errorf("round trip of %+v: got %+v, %v", s, got, err)
		}
		again, _ := EncodeStatus(got)
		if !bytes.Equal(b, again) {
			t.Errorf("encoding of %+v is not deterministic", s)
		}
	}
}

func TestDecodeStatusRefusesJunk(t *testing.T) {
	good, _ := EncodeStatus(Status{ChainID: 1})
	for name, b := range map[string][]byte{
		"empty":    nil,
		"trailing": append(append([]byte(nil), good...), 0),
		"short":    good[:len(good)-1],
		"not list": {0x80},
	} {
		if _, err := DecodeStatus(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestCheckCompatible(t *testing.T) {
	local := Status{ChainID: 1337, GenesisHash: [32]byte{1}, Head: 10}
	ahead := local
	ahead.Head, ahead.HeadHash = 99, [32]byte{5}
	if err := CheckCompatible(local, ahead); err != nil {
		t.Errorf("a peer at another head is compatible, got %v", err)
	}
	otherChain, otherGenesis := local, local
	otherChain.ChainID = 1
	otherGenesis.GenesisHash = [32]byte{2}
	for _, remote := range []Status{otherChain, otherGenesis} {
		if err := CheckCompatible(local, remote); !errors.Is(err, ErrStatusMismatch) {
			t.Errorf("%+v: got %v, want ErrStatusMismatch", remote, err)
		}
	}
}

func FuzzDecodeStatus(f *testing.F) {
	good, _ := EncodeStatus(Status{ChainID: 1337, Head: 7})
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeStatus(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes (canonical).
		again, err := EncodeStatus(s)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded %x to %+v, which encodes to %x (%v)", b, s, again, err)
		}
	})
}

func TestRejectScorerBansOnceAtThreshold(t *testing.T) {
	s := NewRejectScorer(3)
	var bans []int
	for i := 1; i <= 5; i++ {
		if s.Reject("p") {
			bans = append(bans, i)
		}
	}
	if len(bans) != 1 || bans[0] != 3 {
		t.Errorf("bans at rejects %v, want exactly at 3", bans)
	}
	if s.Count("p") != 5 || s.Count("q") != 0 {
		t.Errorf("counts p=%d q=%d", s.Count("p"), s.Count("q"))
	}
	s.Forget("p")
	if s.Count("p") != 0 || s.Reject("p") {
		t.Error("Forget did not reset the peer")
	}
	if NewRejectScorer(0).threshold != DefaultRejectThreshold {
		t.Error("zero threshold does not default")
	}
}

func TestNames(t *testing.T) {
	for got, want := range map[string]string{
		TxTopic(1337):                        "/bilayer/1337/tx/1",
		ConsensusTopic(1337):                 "/bilayer/1337/consensus/1",
		UnsafeBlockTopic(1338):               "/bilayer/1338/unsafe-block/1",
		StatusProtocol(1337).Name:            "/bilayer/1337/status/1",
		BlockRangeProtocol(1337, 1<<20).Name: "/bilayer/1337/sync/blocks/1",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if ConsensusTopicMaxSize(DevnetMaxBlockSize) <= DevnetMaxBlockSize {
		t.Error("a whole devnet block does not fit the consensus topic")
	}
	if TxTopicMaxSize < MaxSystemTxSize {
		t.Error("a maximal system transaction does not fit the tx topic")
	}
}
