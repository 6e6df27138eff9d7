package cmdutil

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// DefaultCacheMiB is --cache's default: 32 MiB of trie-node cache and 32
// MiB of block cache, sized for a devnet running several nodes on one
// machine (issue 17).
const DefaultCacheMiB = 64

// CacheFlag is --cache, shared by the validator, the sequencer and the
// challenger: the memory for caches, split by CacheSizes.
var CacheFlag = &cli.IntFlag{Name: "cache", Usage: "memory for caches, in MiB: half the state's trie-node cache, half the database's block cache (the default suits a devnet; give a long-lived node more, e.g. 1024)",
	Value: DefaultCacheMiB, EnvVars: []string{"BILAYER_CACHE"}}

// CacheSizes splits --cache (MiB) between the trie-node cache and the
// database's block cache, in bytes.
func CacheSizes(mib int) (trie, block int64, err error) {
	if mib < 16 {
		return 0, 0, fmt.Errorf("--cache %d: at least 16 (MiB) is needed", mib)
	}
	total := int64(mib) << 20
	return total / 2, total - total/2, nil
}
