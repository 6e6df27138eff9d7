#!/bin/sh
# The README's walkthrough, run against a running devnet: every command is
# printed as a person types it ("$ bin/wallet ..."), then run, and checked.
#
#   scripts/walkthrough.sh [bridge|dispute|all] [--rpc URL] [--l2-rpc URL] [--wallet PATH]
#
#   bridge   (default) against `make devnet`: an L1 balance, a deposit to the
#            L2, an L2 transfer, a withdrawal back to the L1 paid automatically,
#            and the L1 balance up by exactly the amount withdrawn.
#   dispute  against a fresh `make devnet DEVNET_ARGS="--dev.bad-output-at 10"`:
#            waits until the challenger has proven the wrong output, then
#            `wallet dispute show` and `wallet dispute list`.
#   all      both, on one devnet started fresh with --dev.bad-output-at N.
#
# The URLs come from --rpc/--l2-rpc, else $BILAYER_RPC/$BILAYER_L2_RPC (the
# wallet's own variables, so the printed commands need no URL flags), else
# the devnet's defaults http://127.0.0.1:8545 and :9545. The wallet is
# --wallet, else $WALLET, else bin/wallet (make build); "bin/wallet" in the
# printed commands stands for it. Signing uses the devnet's development
# account 0 (--dev-account 0: the well-known key, no keystore needed).
#
# Every wait is bounded: the wallet's own (--timeout defaults: a deposit 2
# minutes, a withdrawal the time left plus a minute), and this script's
# polls (WALKTHROUGH_DISPUTE_WAIT seconds for the fraud proof, default 120;
# 15 s for a balance to show). It exits non-zero, saying which step failed,
# as soon as one does. tests/walkthrough runs it in `make test` against
# fresh devnets and compares its "$ " lines with the README's walkthrough.
set -eu

usage() {
	sed -n '2,27s/^# \{0,1\}//p' "$0"
}

die() {
	printf '\nwalkthrough: FAILED: %s\n' "$*" >&2
	exit 1
}

part=bridge
while [ $# -gt 0 ]; do
	case $1 in
	bridge | dispute | all) part=$1 ;;
	--rpc) [ $# -ge 2 ] || die "--rpc needs a URL"; BILAYER_RPC=$2; shift ;;
	--l2-rpc) [ $# -ge 2 ] || die "--l2-rpc needs a URL"; BILAYER_L2_RPC=$2; shift ;;
	--wallet) [ $# -ge 2 ] || die "--wallet needs a path"; WALLET=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	shift
done

BILAYER_RPC=${BILAYER_RPC:-http://127.0.0.1:8545}
BILAYER_L2_RPC=${BILAYER_L2_RPC:-http://127.0.0.1:9545}
export BILAYER_RPC BILAYER_L2_RPC
dispute_wait=${WALKTHROUGH_DISPUTE_WAIT:-120}

# Relative paths (bin/wallet) are the repository root's, as in the README.
cd "$(dirname "$0")/.."
WALLET=${WALLET:-bin/wallet}
[ -x "$WALLET" ] || die "no wallet binary at $WALLET: run \"make build\" (or pass --wallet PATH)"

# The walkthrough's account and amounts: the README's.
dead=0x000000000000000000000000000000000000dEaD
deposit_eth=2
transfer_eth=1.5
withdraw_eth=1

# run bin/wallet ARGS...: print the command as the README shows it, then
# run it with $WALLET for bin/wallet; a failure ends the walkthrough.
run() {
	shift
	printf '\n$ bin/wallet %s\n' "$*"
	"$WALLET" "$@" || die "\"bin/wallet $*\" exited with status $?"
}

# wallet ARGS...: the wallet, quietly (the script's own checks, not steps).
wallet() {
	"$WALLET" "$@" 2>/dev/null
}

# wei ARGS...: the balance (in wei) that "wallet --json balance ARGS..."
# reports, or nothing.
wei() {
	wallet --json balance "$@" | sed -n 's/^ *"wei": *"\([0-9]*\)".*/\1/p'
}

# eth_to_wei 1.5: 1500000000000000000.
eth_to_wei() {
	whole=${1%%.*}
	frac=
	case $1 in *.*) frac=${1#*.} ;; esac
	frac=$(printf '%s000000000000000000' "$frac" | cut -c1-18)
	strip0 "$whole$frac"
}

# strip0 DIGITS: DIGITS without leading zeros ("0" for none).
strip0() {
	s=${1#"${1%%[!0]*}"}
	printf '%s\n' "${s:-0}"
}

# wei_add A B: A + B, exactly, for non-negative wei amounts below 10^36
# (each is split at 10^18 so that the shell's 64-bit arithmetic suffices).
wei_add() {
	a_hi=$(hi18 "$1") a_lo=$(lo18 "$1") b_hi=$(hi18 "$2") b_lo=$(lo18 "$2")
	lo=$((a_lo + b_lo))
	hi=$((a_hi + b_hi + lo / 1000000000000000000))
	lo=$((lo % 1000000000000000000))
	if [ "$hi" -eq 0 ]; then
		printf '%s\n' "$lo"
	else
		printf '%s%018d\n' "$hi" "$lo"
	fi
}

# hi18 N, lo18 N: N's digits above 10^18 and below it, without leading zeros.
hi18() {
	if [ ${#1} -le 18 ]; then echo 0; else strip0 "$(printf '%s' "$1" | sed 's/.\{18\}$//')"; fi
}
lo18() {
	strip0 "$(printf '%s' "$1" | sed 's/^.*\(.\{18\}\)$/\1/')"
}

# expect_balance WHAT WANT ARGS...: wait (15 s at most) until "wallet
# --json balance ARGS..." is WANT wei.
expect_balance() {
	what=$1 want=$2
	shift 2
	i=0
	while :; do
		got=$(wei "$@")
		[ "$got" = "$want" ] && break
		i=$((i + 1))
		[ $i -lt 15 ] || die "$what: $got wei after 15 s, want $want wei"
		sleep 1
	done
	printf '    ok: %s\n' "$what"
}

note() {
	printf '\n# %s\n' "$*"
}

bridge() {
	note "L1 -> L2 -> L1 with development account 0 (L1 $BILAYER_RPC, L2 $BILAYER_L2_RPC)"
	run bin/wallet --dev-account 0 balance
	l2_before=$(wei --layer l2 --dev-account 0)
	[ -n "$l2_before" ] || die "cannot read account 0's L2 balance at $BILAYER_L2_RPC: is the sequencer running (make devnet)?"
	start=$(date +%s)

	run bin/wallet --dev-account 0 deposit --amount $deposit_eth
	expect_balance "the L2 balance rose by the $deposit_eth ETH deposited" \
		"$(wei_add "$l2_before" "$(eth_to_wei $deposit_eth)")" --layer l2 --dev-account 0
	run bin/wallet --layer l2 --dev-account 0 balance

	dead_before=$(wei --layer l2 $dead)
	[ -n "$dead_before" ] || die "cannot read the L2 balance of $dead"
	run bin/wallet --layer l2 --dev-account 0 transfer --to $dead --amount $transfer_eth
	run bin/wallet --layer l2 balance $dead
	expect_balance "the recipient's L2 balance rose by $transfer_eth ETH" \
		"$(wei_add "$dead_before" "$(eth_to_wei $transfer_eth)")" --layer l2 $dead

	l1_before=$(wei --dev-account 0)
	[ -n "$l1_before" ] || die "cannot read account 0's L1 balance at $BILAYER_RPC: is the devnet running (make devnet)?"
	run bin/wallet --dev-account 0 withdraw --amount $withdraw_eth
	run bin/wallet --dev-account 0 balance
	expect_balance "the L1 balance rose by the $withdraw_eth ETH withdrawn (paid by the L1 itself, no L1 transaction of ours)" \
		"$(wei_add "$l1_before" "$(eth_to_wei $withdraw_eth)")" --dev-account 0
	printf '\nwalkthrough: deposit -> L2 transfer -> withdrawal -> payout took %d s\n' $(($(date +%s) - start))
}

dispute() {
	note "waiting (at most $dispute_wait s) for the challenger to prove the sequencer's wrong output on the L1"
	start=$(date +%s)
	while :; do
		wallet --json dispute show | grep -q '"verdict": *"outputWrong"' && break
		waited=$(($(date +%s) - start))
		[ $waited -lt "$dispute_wait" ] || die "no dispute won within $dispute_wait s: was the devnet started fresh (bin/devnet reset) with --dev.bad-output-at N, and has its L2 reached block N? (bin/wallet dispute show says: $("$WALLET" dispute show 2>&1 | tail -n 1))"
		sleep 1
	done
	printf '    ok: a fraud proof won after %d s\n' $(($(date +%s) - start))
	run bin/wallet dispute show
	run bin/wallet dispute list
}

case $part in
bridge) bridge ;;
dispute) dispute ;;
all) bridge && dispute ;;
esac
printf '\nwalkthrough: %s: every step passed\n' "$part"
