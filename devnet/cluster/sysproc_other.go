//go:build unix && !linux

package cluster

import "syscall"

// sysProcAttr puts a node in its own process group so it can be killed
// with everything it spawned.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
