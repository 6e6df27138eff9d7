#!/usr/bin/env bash
# docker-test.sh: the docker-compose devnet under faults (run by `make test-docker`,
# which first builds the image with `make docker`).
#
#   1. docker compose up: 4 validators commit blocks (finality is instant in BFT);
#      the sequencer's L2 RPC answers chain id 1338 (0x53a), an L2 transfer (the
#      image's wallet, run on the host) lands in an L2 block, and a deposit made on
#      the L1 is applied on the L2; the challenger (following validator-1, never the
#      sequencer) answers rollup_syncStatus, and its verification comes to count
#      agreed posted outputs (the transfer's block among them) with no disagreement;
#   2. kill one validator container: the other 3 (> 2/3 of the stake) keep committing;
#      start it again: it catches up;
#   3. cut one validator off (docker network disconnect): it stops advancing while the
#      others continue; reconnect it: it catches up;
#   4. a stream of L2 transfers through the sequencer, which is SIGKILLed mid-stream and
#      started again: every transfer that got a receipt before the kill (soft-confirmed)
#      still has it, in the same block, after the restart; the stream completes and the
#      L2 keeps making blocks;
#   5. cut the challenger off (docker network disconnect): the sequencer's batches (the
#      stream's blocks and more transfers) keep being posted and accepted (its safe head
#      moves) while the challenger's derived head stays behind; reconnect it: it catches
#      up and verifies every posted output up to that safe head, all agreeing;
#   6. docker compose down -v, always (trap), with the containers' logs on failure.
#
# Every wait is bounded. Host ports: validator i's RPC and the sequencer's and the
# challenger's L2 RPCs are published on free 127.0.0.1 ports chosen here, so a local
# devnet on 8545, 9545 and 9546 does not get in the way.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${DOCKER_IMAGE:-bilayer:dev}"
export DOCKER_IMAGE="$IMAGE"
export COMPOSE_PROJECT_NAME="bilayertest$$"
HC="${HEALTHCHECK_BIN:-bin/docker/validator}" # host-side copy of the image's validator
WALLET="${WALLET_BIN:-bin/docker/wallet}"      # and of its wallet

if ! command -v curl >/dev/null 2>&1; then
	echo "docker-test: curl not found on the host (the test reads the nodes' JSON-RPC with it)" >&2
	exit 1
fi
for bin in "$HC" "$WALLET"; do
	if [ ! -x "$bin" ]; then
		echo "docker-test: $bin not found: run \"make docker\" first (or set HEALTHCHECK_BIN / WALLET_BIN)" >&2
		exit 1
	fi
done

if docker compose version >/dev/null 2>&1; then
	compose() { docker compose "$@"; }
else
	compose() { docker-compose "$@"; }
fi

log() { printf '[docker-test %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

ok=0
stream_pid=""
work=$(mktemp -d)
cleanup() {
	if [ -n "$stream_pid" ]; then kill "$stream_pid" 2>/dev/null || true; fi
	if [ "$ok" != 1 ]; then
		log "FAILED: container logs follow"
		compose logs --no-color --tail 60 || true
	fi
	log "tearing down"
	compose down -v --remove-orphans >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# port_free P: nothing accepts connections on 127.0.0.1:P.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Below the kernel's ephemeral range: a port there may be the local end of
# some loopback connection, which accepts nothing (so it looks free) yet
# makes Docker's bind fail with "address already in use".
ephemeral=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
if ((ephemeral < 12000)); then ephemeral=32768; fi
base=$((10000 + $$ % (ephemeral - 10100)))
taken=""
for i in 0 1 2 3 4 5; do
	p=$((base + i))
	while ! port_free "$p" || [[ " $taken " == *" $p "* ]]; do p=$((p + 7)); done
	taken="$taken $p"
	case "$i" in
	4) export BILAYER_L2_RPC_PORT=$p ;;
	5) export BILAYER_CHALLENGER_RPC_PORT=$p ;;
	*) export "BILAYER_RPC_PORT_$i=$p" ;;
	esac
done
RPC0="http://127.0.0.1:${BILAYER_RPC_PORT_0}"
RPCL2="http://127.0.0.1:${BILAYER_L2_RPC_PORT}"
RPCCH="http://127.0.0.1:${BILAYER_CHALLENGER_RPC_PORT}"

# head_host: validator-0's head through its published port.
head_host() { "$HC" healthcheck --rpc "$RPC0" --timeout 2s 2>/dev/null | awk '{print $3}'; }

# head_in N: validator-N's head asked inside its container (works while it is cut off).
# (Container ids are looked up once: "docker compose ps" v2 omits stopped containers.)
declare -a ids
head_in() {
	docker exec "${ids[$1]}" /bin/validator healthcheck --rpc http://127.0.0.1:8545 --timeout 2s 2>/dev/null | awk '{print $3}'
}

# wait_for SECONDS DESCRIPTION COMMAND...: run COMMAND until it succeeds.
wait_for() {
	local limit=$1 what=$2 start=$SECONDS
	shift 2
	until "$@"; do
		if ((SECONDS - start >= limit)); then
			log "timed out after ${limit}s waiting for: $what"
			return 1
		fi
		sleep 0.5
	done
	log "ok: $what ($((SECONDS - start))s)"
}

# rpc_call URL METHOD [PARAMS]: the JSON-RPC response of URL to METHOD (PARAMS: a JSON
# array, default none), empty if URL does not answer.
rpc_call() {
	curl -s -m 3 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "$1" 2>/dev/null || true
}
# l2_call METHOD: the JSON-RPC response of the sequencer to METHOD (no params).
l2_call() { rpc_call "$RPCL2" "$1"; }
# hex_field JSON NAME: the first "NAME":"0x..." of JSON, in decimal (empty if none).
hex_field() {
	local hex
	hex=$(echo "$1" | grep -o "\"$2\":\"0x[0-9a-fA-F]*\"" | head -n 1 | sed 's/.*"0x\([0-9a-fA-F]*\)"/\1/') || true
	[ -n "$hex" ] && echo $((16#$hex))
}
# challenger_verified MIN: the challenger's rollup_syncStatus has verification.checkedL2
# >= MIN, agreed > 0 and no firstDisagreement (a disagreement fails the test at once).
challenger_verified() {
	local st checked agreed
	st=$(rpc_call "$RPCCH" rollup_syncStatus)
	if echo "$st" | grep -q '"firstDisagreement":{'; then
		log "the challenger disagrees with a posted output: $st"
		exit 1
	fi
	echo "$st" | grep -q '"firstDisagreement":null' || return 1
	checked=$(hex_field "$st" checkedL2)
	agreed=$(hex_field "$st" agreed)
	at_least "$checked" "$1" && at_least "$agreed" 1
}
ch_is_1338() { rpc_call "$RPCCH" eth_chainId | grep -q '"result":"0x53a"'; }
# l2_head: the L2 head number (decimal), empty if the sequencer does not answer.
l2_head() {
	local hex
	hex=$(l2_call eth_blockNumber | sed -n 's/.*"result":"0x\([0-9a-fA-F]*\)".*/\1/p')
	[ -n "$hex" ] && echo $((16#$hex))
}
l2_is_1338() { l2_call eth_chainId | grep -q '"result":"0x53a"'; }
# l2_safe: the sequencer's safe L2 head (its batches accepted on the L1), decimal.
l2_safe() {
	local hex
	hex=$(l2_call rollup_syncStatus | sed -n 's/.*"safeL2":{"number":"0x\([0-9a-fA-F]*\)".*/\1/p')
	[ -n "$hex" ] && echo $((16#$hex))
}
safe_at_least() { at_least "$(l2_safe)" "$1"; }
# challenger_head_in: the challenger's derived L2 head asked inside its container
# (works while it is cut off).
challenger_head_in() {
	docker exec "$ch_id" /bin/validator healthcheck --rpc http://127.0.0.1:9546 --timeout 2s 2>/dev/null | awk '{print $3}'
}
# json_str JSON NAME: the first string value of "NAME" in JSON (the wallet's --json
# output is indented: "NAME": "VALUE").
json_str() { echo "$1" | grep -o "\"$2\": *\"[^\"]*\"" | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/' || true; }
# json_num JSON NAME: the first number value of "NAME" in JSON.
json_num() { echo "$1" | grep -o "\"$2\": *[0-9][0-9]*" | head -n 1 | sed 's/.*[^0-9]\([0-9]*\)$/\1/' || true; }
l2_at_least() { at_least "$(l2_head)" "$1"; }

# at_least HEAD MIN: HEAD is a number >= MIN.
at_least() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }
host_at_least() { at_least "$(head_host)" "$1"; }
in_at_least() { at_least "$(head_in "$1")" "$2"; }

log "project $COMPOSE_PROJECT_NAME, image $IMAGE, validator-0 RPC $RPC0, L2 RPC $RPCL2, challenger $RPCCH"
compose up -d
for i in 0 1 2 3; do ids[i]="$(compose ps -q "validator-$i")"; done

wait_for 90 "validator-0 commits blocks (head >= 3)" host_at_least 3
for i in 0 1 2 3; do
	wait_for 60 "validator-$i has committed blocks" in_at_least "$i" 1
done

wait_for 90 "the sequencer's L2 RPC answers chain id 1338 (0x53a)" l2_is_1338
dead=0x000000000000000000000000000000000000dEaD
out=$("$WALLET" --l2-rpc "$RPCL2" --layer l2 --dev-account 0 --timeout 30s transfer --to "$dead" --amount 1.5)
echo "$out"
blk=$(echo "$out" | awk '$1 == "block" {print $2}')
if ! echo "$out" | grep -q "status     success" || [ -z "$blk" ] || [ "$blk" -lt 1 ]; then
	log "the L2 transfer did not succeed in an L2 block"
	exit 1
fi
wait_for 10 "the L2 head reaches the transfer's block $blk" l2_at_least "$blk"
out=$("$WALLET" --rpc "$RPC0" --l2-rpc "$RPCL2" --dev-account 1 --timeout 60s deposit --amount 2 --to "$dead")
echo "$out"
if ! echo "$out" | grep -q "applied in L2 block"; then
	log "the deposit was not applied on L2"
	exit 1
fi
bal=$("$WALLET" --l2-rpc "$RPCL2" --layer l2 balance "$dead")
if [ "$bal" != "$dead: 3.5 ETH" ]; then
	log "L2 balance of $dead: $bal, want 3.5 ETH"
	exit 1
fi
log "ok: L2 transfer in block $blk, deposit applied, $bal on L2"

wait_for 60 "the challenger's L2 RPC answers chain id 1338" ch_is_1338
wait_for 90 "the challenger verified the posted outputs up to L2 block $blk, all agreeing" challenger_verified "$blk"
log "challenger: $(rpc_call "$RPCCH" rollup_syncStatus | grep -o '"verification":{[^}]*}')"

log "killing validator-3"
docker kill "${ids[3]}" >/dev/null
h=$(head_host)
wait_for 60 "3 of 4 validators keep committing (head >= $((h + 3)))" host_at_least $((h + 3))
log "starting validator-3 again"
docker start "${ids[3]}" >/dev/null
h=$(head_host)
wait_for 60 "validator-3 catches up (head >= $h)" in_at_least 3 "$h"

net="${COMPOSE_PROJECT_NAME}_devnet"
id2="${ids[2]}"
log "cutting validator-2 off ($net)"
docker network disconnect "$net" "$id2"
cut=$(head_in 2)
h=$(head_host)
wait_for 60 "the other 3 keep committing (head >= $((h + 5)))" host_at_least $((h + 5))
behind=$(head_in 2)
if ! at_least "$((cut + 1))" "$behind"; then
	log "validator-2 advanced from $cut to $behind while cut off"
	exit 1
fi
log "ok: validator-2 stays at $behind while the others are at $(head_host)"
log "reconnecting validator-2"
docker network connect --alias validator-2 "$net" "$id2"
h=$(head_host)
wait_for 90 "validator-2 catches up (head >= $h)" in_at_least 2 "$h"
wait_for 30 "the chain still advances (head >= $((h + 2)))" host_at_least $((h + 2))

# The sequencer, SIGKILLed in the middle of a stream of L2 transfers and started again.
seq_id=$(compose ps -q sequencer)
ch_id=$(compose ps -q challenger)
STREAM_N=20
# stream: send STREAM_N L2 transfers one after another from dev account 3 (each waits
# for its receipt); append "hash block blockHash" of each one soft-confirmed (it has a
# successful receipt) to $work/confirmed, a line per failed attempt to $work/failed, and
# write $work/stream.done at the end. Bounded in attempts and time. Runs in the background.
stream() {
	local start=$SECONDS attempts=0 sent=0 out hash blk bh
	while ((sent < STREAM_N)); do
		if ((attempts >= 120 || SECONDS - start >= 180)); then
			echo "stream: gave up after $attempts attempts, $((SECONDS - start))s, $sent confirmed" >>"$work/failed"
			return 1
		fi
		attempts=$((attempts + 1))
		if out=$("$WALLET" --l2-rpc "$RPCL2" --layer l2 --dev-account 3 --timeout 15s --json \
			transfer --to "$dead" --amount 0.01 2>"$work/last.err"); then
			hash=$(json_str "$out" hash)
			blk=$(json_num "$out" blockNumber)
			bh=$(json_str "$out" blockHash)
			if [ -z "$hash" ] || [ -z "$blk" ] || [ -z "$bh" ]; then
				echo "stream: attempt $attempts: unexpected wallet output: $out" >>"$work/failed"
				return 1
			fi
			echo "$hash $blk $bh" >>"$work/confirmed"
			sent=$((sent + 1))
		else
			echo "attempt $attempts: $(tr '\n' ' ' <"$work/last.err")" >>"$work/failed"
			sleep 0.5
		fi
	done
	echo "$attempts attempts in $((SECONDS - start))s" >"$work/stream.done"
}
confirmed() { if [ -f "$work/confirmed" ]; then wc -l <"$work/confirmed"; else echo 0; fi; }
confirmed_at_least() { at_least "$(confirmed)" "$1"; }
stream_over() { [ -f "$work/stream.done" ] || ! kill -0 "$stream_pid" 2>/dev/null; }
seq_running() { [ "$(docker inspect -f '{{.State.Running}}' "$seq_id" 2>/dev/null)" = true ]; }
seq_stopped() { ! seq_running; }

log "a stream of $STREAM_N L2 transfers through the sequencer; it will be SIGKILLed mid-stream"
stream &
stream_pid=$!
wait_for 90 "the stream's first 5 transfers are soft-confirmed" confirmed_at_least 5
docker kill -s KILL "$seq_id" >/dev/null
log "SIGKILLed the sequencer with $(confirmed) of $STREAM_N transfers soft-confirmed"
wait_for 20 "the sequencer container is down" seq_stopped
cp "$work/confirmed" "$work/confirmed.at-kill"
sleep 2 # the stream keeps trying against a dead sequencer
if l2_is_1338; then
	log "the sequencer's RPC still answers after SIGKILL"
	exit 1
fi
log "starting the sequencer again"
docker start "$seq_id" >/dev/null
wait_for 90 "the restarted sequencer's L2 RPC answers chain id 1338" l2_is_1338
wait_for 180 "the stream ends" stream_over
if ! wait "$stream_pid"; then
	stream_pid=""
	log "the stream did not complete: $(tail -n 5 "$work/failed" 2>/dev/null)"
	exit 1
fi
stream_pid=""
log "stream: $(cat "$work/stream.done"), $(confirmed) soft-confirmed; $(wc -l <"$work/confirmed.at-kill") before the kill; failed attempts while the sequencer was down: $(if [ -f "$work/failed" ]; then wc -l <"$work/failed"; else echo 0; fi)"
if [ "$(confirmed)" != "$STREAM_N" ]; then
	log "want $STREAM_N soft-confirmed transfers, have $(confirmed)"
	exit 1
fi
# Every soft-confirmed transfer (those from before the kill first of all) still has its
# successful receipt in the same block, and that block is still the L2's at its height.
lost=0
last=0
while read -r hash blk bh; do
	r=$(rpc_call "$RPCL2" eth_getTransactionReceipt "[\"$hash\"]")
	b=$(rpc_call "$RPCL2" eth_getBlockByNumber "[\"$(printf '0x%x' "$blk")\",false]")
	if ! echo "$r" | grep -q "\"blockHash\":\"$bh\"" || ! echo "$r" | grep -q '"status":"0x1"' ||
		! echo "$b" | grep -q "\"hash\":\"$bh\""; then
		log "LOST: transfer $hash, soft-confirmed in L2 block $blk ($bh): receipt now $r"
		lost=$((lost + 1))
	fi
	if ((blk > last)); then last=$blk; fi
done <"$work/confirmed"
if ((lost > 0)); then
	log "$lost of $STREAM_N soft-confirmed transfers lost across the sequencer's restart"
	exit 1
fi
log "ok: all $STREAM_N soft-confirmed transfers kept their receipts and blocks (the last in L2 block $last)"
wait_for 30 "the restarted sequencer keeps making L2 blocks (head >= $((last + 8)))" l2_at_least $((last + 8))

# The challenger, cut off and reconnected.
wait_for 120 "the sequencer's batches cover the stream (safe head >= $last)" safe_at_least "$last"
wait_for 90 "the challenger agrees with the outputs posted across the sequencer's restart (checked >= $last)" challenger_verified "$last"
log "cutting the challenger off ($net)"
docker network disconnect "$net" "$ch_id"
ch_cut=$(challenger_head_in)
if [ -z "$ch_cut" ]; then
	log "the cut-off challenger does not answer inside its container"
	exit 1
fi
l1_cut=$(head_host)
for k in 1 2 3; do
	if ! out=$("$WALLET" --l2-rpc "$RPCL2" --layer l2 --dev-account 4 --timeout 30s --json transfer --to "$dead" --amount 0.01); then
		log "an L2 transfer failed while the challenger was cut off"
		exit 1
	fi
	blk=$(json_num "$out" blockNumber)
done
log "3 more L2 transfers while the challenger is cut off, the last in L2 block $blk"
wait_for 120 "the sequencer's batches are posted and accepted without the challenger (safe head >= $blk)" safe_at_least "$blk"
wait_for 60 "the L1 moves on 10 blocks while the challenger is cut off (head >= $((l1_cut + 10)))" host_at_least $((l1_cut + 10))
ch_now=$(challenger_head_in)
if [ -z "$ch_now" ] || ! at_least "$((blk - 1))" "$ch_now"; then
	log "the cut-off challenger derived L2 block ${ch_now:-?} (>= $blk) from $ch_cut while cut off"
	exit 1
fi
safe=$(l2_safe)
log "ok: the challenger stays at L2 block $ch_now (cut at $ch_cut) while the safe head is at $safe, the L1 at $(head_host) (cut at $l1_cut)"
log "reconnecting the challenger"
docker network connect --alias challenger "$net" "$ch_id"
wait_for 120 "the challenger catches up and agrees with every posted output up to the safe head $safe" challenger_verified "$safe"
log "challenger: $(rpc_call "$RPCCH" rollup_syncStatus | grep -o '"verification":{[^}]*}')"

ok=1
log "PASS"
