package devnet

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrRunning is returned when a devnet process already runs on a data
// directory.
var ErrRunning = errors.New("a devnet is running on this data directory")

// Lock marks a data directory as used by one devnet process: a pid file
// created exclusively. A pid file whose process is gone (the devnet was
// killed) is stale and is taken over.
type Lock struct {
	path string
}

// AcquireLock takes the lock of l for the process pid.
func AcquireLock(l Layout, pid int) (*Lock, error) {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create devnet directory: %w", err)
	}
	path := l.LockFile()
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := fmt.Fprintf(f, "%d\n", pid)
			cerr := f.Close()
			if werr != nil || cerr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("write lock %s: %w", path, errors.Join(werr, cerr))
			}
			return &Lock{path: path}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create lock %s: %w", path, err)
		}
		if other, running := RunningPID(l); running {
			return nil, fmt.Errorf("%w: %s (pid %d); stop it with Ctrl-C or kill -INT %d", ErrRunning, l.Dir, other, other)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale lock %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("%w: %s: lost the race for %s", ErrRunning, l.Dir, path)
}

// Release removes the lock.
func (k *Lock) Release() error {
	if err := os.Remove(k.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}

// RunningPID returns the pid in l's lock file and whether that process is
// alive.
func RunningPID(l Layout) (int, bool) {
	data, err := os.ReadFile(l.LockFile())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, false
	}
	return pid, processAlive(pid)
}
