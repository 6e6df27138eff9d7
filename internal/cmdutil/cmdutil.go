// Package cmdutil holds what every bilayer binary's command line shares:
// the log flags and logger, the password file, and the metrics server.
package cmdutil

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v2"
)

// Log flags every binary takes.
var (
	LogLevelFlag = &cli.StringFlag{Name: "log.level", Usage: "log level: debug, info, warn or error", Value: "info",
		EnvVars: []string{"BILAYER_LOG_LEVEL"}}
	LogFormatFlag = &cli.StringFlag{Name: "log.format", Usage: "log format: text or json", Value: "text",
		EnvVars: []string{"BILAYER_LOG_FORMAT"}}
)

// NewLogger builds the process logger (to stderr) from the log flags.
func NewLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String(LogLevelFlag.Name))); err != nil {
		return nil, fmt.Errorf("--log.level %q: use debug, info, warn or error", c.String(LogLevelFlag.Name))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.String(LogFormatFlag.Name)) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log.format %q: use text or json", c.String(LogFormatFlag.Name))
}

// ReadPassword reads a password file (flagName names the flag that gave
// it, for the error), dropping the trailing newline.
func ReadPassword(path, flagName string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("the key files are encrypted: give their password with --%s", flagName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// StartMetrics serves reg's metrics under /metrics on addr (and Go's
// profiler under /debug/pprof/ if profile is set) until the returned
// server is shut down.
func StartMetrics(addr string, reg *prometheus.Registry, profile bool, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if profile {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("Metrics server failed", "err", err)
		}
	}()
	log.Info("Metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return srv, nil
}
