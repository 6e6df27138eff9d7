package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is one running node process, alone in its own process group so
// that it and anything it spawns can be killed together.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // the exit status; read only after done is closed
}

// startProcess starts bin with args, appending its stdout and stderr to the
// file at logPath.
func startProcess(bin string, args []string, logPath string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	defer f.Close() // the child holds its own copy of the descriptor
	fmt.Fprintf(f, "=== cluster: starting %s %v at %s\n", bin, args, time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL to the whole process group and waits for the process
// to be reaped.
func (p *process) kill() {
	// The group may already be gone; there is nothing else to do then.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// errStopTimeout is returned by stop when the process ignored SIGINT.
var errStopTimeout = errors.New("process did not exit after SIGINT")

// stop sends SIGINT to the process and waits up to timeout for it to exit;
// after that it kills the group and returns errStopTimeout. Whatever the
// outcome, nothing of the group is left running.
func (p *process) stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil && !p.exited() {
		p.kill()
		return fmt.Errorf("send SIGINT: %w", err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // stray children, if any
		return nil
	case <-timer.C:
		p.kill()
		return fmt.Errorf("%w within %s: killed", errStopTimeout, timeout)
	}
}
