package main

import (
	"strings"
	"testing"
)

// TestStakingCommands stakes, lists, unstakes and tries an early
// withdrawal through the CLI against a real node.
func TestStakingCommands(t *testing.T) {
	url := startDevnet(t)
	r := runWallet(t, nil, "--rpc", url, "--dev-account", "1", "stake", "--amount", "100")
	if r.code != 0 || !strings.Contains(r.stdout, "success") {
		t.Fatalf("stake: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runWallet(t, nil, "--rpc", url, "validators")
	if r.code != 0 || !strings.Contains(r.stdout, "active (1 validators") || !strings.Contains(r.stdout, "next epoch (2 validators") {
		t.Fatalf("validators: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runWallet(t, nil, "--rpc", url, "--dev-account", "2", "stake", "--amount", "1")
	if r.code == 0 || !strings.Contains(r.stderr, "below the minimum") {
		t.Fatalf("a stake below the minimum was not refused with the contract's reason: exit %d\n%s", r.code, r.stderr)
	}
	r = runWallet(t, nil, "--rpc", url, "--dev-account", "1", "unstake", "--amount", "100")
	if r.code != 0 {
		t.Fatalf("unstake: exit %d\n%s", r.code, r.stderr)
	}
	r = runWallet(t, nil, "--rpc", url, "--dev-account", "1", "withdraw-stake")
	if r.code == 0 || !strings.Contains(r.stderr, "unbonds at block") {
		t.Fatalf("early withdraw-stake: exit %d\n%s", r.code, r.stderr)
	}
}
