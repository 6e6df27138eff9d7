package pebblestore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// fatalError is what slogLogger.Fatalf panics with. Pebble calls Fatalf when
// its state is unrecoverable (e.g. a failed WAL write) and does not expect it
// to return; the write paths of DB recover this panic into an error.
type fatalError struct{ msg string }

// Error implements error.
func (e *fatalError) Error() string { return "pebble fatal: " + e.msg }

// slogLogger sends pebble's logging to slog.
type slogLogger struct {
	log *slog.Logger
}

// Infof logs pebble's informational chatter at Debug.
func (l *slogLogger) Infof(format string, args ...any) {
	l.log.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// Errorf logs at Error.
func (l *slogLogger) Errorf(format string, args ...any) {
	l.log.Error(strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// Fatalf logs at Error and panics with *fatalError: pebble must not continue.
func (l *slogLogger) Fatalf(format string, args ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	l.log.Error("pebble fatal error", "msg", msg)
	panic(&fatalError{msg: msg})
}

// eventListener reports the events an operator should see.
func (l *slogLogger) eventListener() *pebble.EventListener {
	return &pebble.EventListener{
		BackgroundError: func(err error) { l.log.Error("pebble background error", "err", err) },
		DataCorruption: func(info pebble.DataCorruptionInfo) {
			l.log.Error("pebble data corruption", "path", info.Path, "err", info.Details)
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			l.log.Warn("pebble disk slow", "op", info.OpType.String(), "path", info.Path, "duration", info.Duration)
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			l.log.Warn("pebble write stall", "reason", info.Reason)
		},
		WriteStallEnd: func() { l.log.Info("pebble write stall ended") },
		FlushEnd: func(info pebble.FlushInfo) {
			l.debug("pebble flush", info)
		},
		CompactionEnd: func(info pebble.CompactionInfo) {
			l.debug("pebble compaction", info)
		},
	}
}

// debug avoids formatting event info when Debug is off.
func (l *slogLogger) debug(msg string, info fmt.Stringer) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug(msg, "info", info.String())
	}
}
