package libp2p

import (
	"net"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Gossipsub peer scoring (issue 16 item 7). A peer's score is the sum of
// what it earns by being useful and what it loses by misbehaving:
//
//   - per topic: +0.01 per second in our mesh (up to +1), +1 per message it
//     was first to deliver (decaying over a minute, up to +20), and
//     -10 × (invalid messages)² (decaying over ten minutes): three rejected
//     messages put a peer below the graylist threshold;
//   - -10 per rejected message or penalty (the same count that bans a peer
//     at Config.RejectThreshold, so a peer is graylisted long before);
//   - gossipsub's behaviour penalty for broken promises (IWANT not served);
//   - -10 × (surplus)² for more than 8 peers behind one IP address, so
//     identities are not free to multiply. Loopback addresses are exempt:
//     on one machine (a devnet) every honest peer shares 127.0.0.1, so
//     there a new peer id is still free; the reject counter and the score
//     of each id are all that limit it.
//
// Below gossipThreshold a peer gets no gossip from us, below
// publishThreshold none of our own messages, below graylistThreshold we
// ignore everything it sends. Scores of disconnected peers are kept for
// retainScore, so reconnecting does not wash a score clean.
const (
	gossipThreshold   = -20
	publishThreshold  = -40
	graylistThreshold = GraylistThreshold

	invalidMessageWeight = -10
	rejectWeight         = -10
	ipColocationWeight   = -10
	ipColocationLimit    = 8
	topicScoreCap        = 50
	retainScore          = 10 * time.Minute
	scoreInspectPeriod   = time.Second
)

// scoreParams returns the router-wide score parameters; rejects returns a
// peer's rejected messages and penalties.
func scoreParams(rejects func(peer.ID) int) (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	params := &pubsub.PeerScoreParams{
		Topics:                      map[string]*pubsub.TopicScoreParams{},
		TopicScoreCap:               topicScoreCap,
		AppSpecificScore:            func(p peer.ID) float64 { return float64(rejects(p)) },
		AppSpecificWeight:           rejectWeight,
		IPColocationFactorWeight:    ipColocationWeight,
		IPColocationFactorThreshold: ipColocationLimit,
		BehaviourPenaltyWeight:      -10,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       pubsub.ScoreParameterDecay(10 * time.Minute),
		DecayInterval:               pubsub.DefaultDecayInterval,
		DecayToZero:                 pubsub.DefaultDecayToZero,
		RetainScore:                 retainScore,
		SeenMsgTTL:                  transportSeenTTL,
		// Peers on this machine share an address by nature.
		IPColocationFactorWhitelist: []*net.IPNet{
			{IP: net.IPv4(127, 0, 0, 0), Mask: net.CIDRMask(8, 32)},
			{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
		},
	}
	thresholds := &pubsub.PeerScoreThresholds{
		GossipThreshold:             gossipThreshold,
		PublishThreshold:            publishThreshold,
		GraylistThreshold:           graylistThreshold,
		AcceptPXThreshold:           100, // peer exchange is off anyway
		OpportunisticGraftThreshold: 5,
	}
	return params, thresholds
}

// topicScoreParams are the score parameters of each joined topic.
func topicScoreParams() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		TopicWeight:                    1,
		TimeInMeshWeight:               0.01,
		TimeInMeshQuantum:              time.Second,
		TimeInMeshCap:                  100,
		FirstMessageDeliveriesWeight:   1,
		FirstMessageDeliveriesDecay:    pubsub.ScoreParameterDecay(time.Minute),
		FirstMessageDeliveriesCap:      20,
		InvalidMessageDeliveriesWeight: invalidMessageWeight,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(10 * time.Minute),
		// Mesh delivery deficits (P3) stay off: in a devnet of a handful of
		// peers a quiet topic would score honest peers down.
	}
}

// GraylistThreshold is the score below which a host ignores everything a
// peer sends.
const GraylistThreshold = -80

// peerScores holds the latest scores gossipsub reported.
type peerScores struct {
	mu sync.Mutex
	m  map[peer.ID]float64
}

func (s *peerScores) update(m map[peer.ID]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = m
}

func (s *peerScores) get(p peer.ID) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[p]
}
