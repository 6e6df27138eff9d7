package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// usageError says how to call a command; if a flag was given after the
// positional arguments (where it is not parsed), it says to move it.
func usageError(c *cli.Context, usage string) error {
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("usage: %s (flags such as %s go before the arguments)", usage, a)
		}
	}
	return fmt.Errorf("usage: %s", usage)
}
