package cluster

import "syscall"

// sysProcAttr puts a node in its own process group and has the kernel kill
// it if the test process dies first (a test timeout, a crash), so no node
// outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
