package libp2p

import (
	"testing"

	"github.com/bilayer/bilayer/p2p/p2ptest"
)

func TestConformance(t *testing.T) { p2ptest.Run(t, factory) }
