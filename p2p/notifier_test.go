package p2p

import "testing"

func TestNotifiersCallInOrderAndStop(t *testing.T) {
	var n Notifiers
	var got []string
	stopA := n.Add(func(ev PeerEvent) { got = append(got, "a:"+string(ev.Peer)) })
	n.Add(func(ev PeerEvent) { got = append(got, "b:"+string(ev.Peer)) })
	n.Emit(PeerEvent{Peer: "1", Connected: true})
	stopA()
	n.Emit(PeerEvent{Peer: "2"})
	want := []string{"a:1", "b:1", "b:2"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
