//go:build unix && !linux

package devnet

import "syscall"

// nodeSysProcAttr puts a node in its own process group, so a terminal's
// Ctrl-C reaches only the devnet process, which then stops the nodes in
// order. (Only Linux can also tie a node's life to the devnet process.)
func nodeSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
