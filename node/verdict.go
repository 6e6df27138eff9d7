package node

import (
	"errors"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/p2p"
)

// verifyVerdict is the gossip verdict on a consensus message that failed
// verification against the validator set this node holds for the
// message's height. Whether the signer is a member depends on what the
// node knows: for a height past its next one it assumes the last set it
// knows, and a relaying peer that lags may have assumed another one, so a
// message from a validator outside the set (one that joined at an epoch
// boundary this node has not reached) is ignored, never rejected: the
// relayer would be scored down, and banned after enough such messages, for
// being honest. Everything else (a malformed message, a signature that is
// not the claimed signer's) is invalid everywhere and always: rejected.
func verifyVerdict(err error) p2p.Verdict {
	if errors.Is(err, consensus.ErrUnknownValidator) {
		return p2p.Ignore
	}
	return p2p.Reject
}
