package devnet

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// maxLineBuffer bounds how much of an unterminated line a prefixWriter
// holds before writing it anyway.
const maxLineBuffer = 64 << 10

// prefixWriter writes whole lines to w, each starting with prefix. Several
// prefixWriters share one mutex so their lines never interleave.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

// Write buffers p and writes every complete line. It always reports p as
// written: a terminal that fails must not stop the node.
func (pw *prefixWriter) Write(p []byte) (int, error) {
	pw.buf = append(pw.buf, p...)
	for {
		i := bytes.IndexByte(pw.buf, '\n')
		if i < 0 {
			if len(pw.buf) > maxLineBuffer {
				pw.emit(pw.buf)
				pw.buf = pw.buf[:0]
			}
			return len(p), nil
		}
		pw.emit(pw.buf[:i])
		pw.buf = pw.buf[i+1:]
	}
}

// Flush writes a pending partial line.
func (pw *prefixWriter) Flush() {
	if len(pw.buf) > 0 {
		pw.emit(pw.buf)
		pw.buf = pw.buf[:0]
	}
}

func (pw *prefixWriter) emit(line []byte) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	fmt.Fprintf(pw.w, "%s%s\n", pw.prefix, line)
}

// Tail returns the last n lines of the file at path (for showing why a node
// died). It reads at most the last 64 KiB.
func Tail(path string, n int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("tail %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("tail %s: %w", path, err)
	}
	start := max(st.Size()-maxLineBuffer, 0)
	buf := make([]byte, st.Size()-start)
	if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
		return "", fmt.Errorf("tail %s: %w", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n"), nil
}
