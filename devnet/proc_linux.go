package devnet

import "syscall"

// nodeSysProcAttr puts a node in its own process group (so a terminal's
// Ctrl-C reaches only the devnet process, which then stops the nodes in
// order) and has the kernel send it SIGTERM if the devnet process dies, so
// no node outlives it.
func nodeSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
