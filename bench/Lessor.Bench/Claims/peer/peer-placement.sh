#!/usr/bin/env bash
# HTTP against HTTP, in one window: Lessor (`Lessor.Bench claims-peer`, a real `lessor serve`) and OpenStack Placement
# (../shared/peers/placement: gunicorn + PostgreSQL, loaded with 10,000 nodes x 8 GPUs in fabrics of 64 through its
# own SQL bulk loader), find-and-claim of one 8-GPU H100 node, server CPU per successful claim from /proc for both.
# Rounds alternate Lessor, Placement, Lessor, Placement... so both see the same machine load.
# Placement is set up from scratch, and stopped and wiped at the end (also on failure); state under $TMPDIR.
# Usage: bench/Lessor.Bench/Claims/peer/peer-placement.sh [ROUNDS]   (build bench/Lessor.Bench -c Release first)
# Figures: JSON lines to $LESSOR_BENCH_OUT (Lessor) and to $PEER_OUT (Placement; default $TMPDIR/placement-peer/find-claim.jsonl).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../../.." && pwd)
PEER=${PLACEMENT_PEER:-$(cd "$ROOT/../shared/peers/placement" && pwd)}
ROUNDS=${1:-2}
BENCH="$ROOT/bench/Lessor.Bench/bin/Release/net10.0/Lessor.Bench"
export RUN=${RUN:-${TMPDIR:-/tmp}/placement-peer/run}
PEER_OUT=${PEER_OUT:-${TMPDIR:-/tmp}/placement-peer/find-claim.jsonl}
mkdir -p "$(dirname "$PEER_OUT")"
[ -x "$BENCH" ] || { echo "build first: dotnet build bench/Lessor.Bench -c Release" >&2; exit 2; }
export PLACEMENT_PEER="$PEER"

# Free ports (other sessions' throwaway clusters start at 55432 too).
free_port() { local p=$1; while ss -ltnH "( sport = :$p )" | grep -q .; do p=$((p + 1)); done; echo "$p"; }
export PGPORT=${PGPORT:-$(free_port 55452)} API_PORT=${API_PORT:-$(free_port 18778)}
URL=http://127.0.0.1:$API_PORT
trap '"$PEER/stop.sh" --wipe >/dev/null 2>&1 || true' EXIT
"$PEER/stop.sh" --wipe >/dev/null 2>&1 || true
timeout 2400 "$PEER/setup.sh" >/dev/null
DSN="host=127.0.0.1 port=$PGPORT dbname=placement user=placement password=placement"
timeout 600 "$PEER/load.py" --url "$URL" --from 0 --to 10000 --via-sql "$DSN" --out "$PEER_OUT"

for r in $(seq 1 "$ROUNDS"); do
    echo "== round $r: Lessor ($(cut -d' ' -f1-3 /proc/loadavg))"
    "$BENCH" claims-peer --claims 1000 --clients 8 | grep -v '^\[figure\]' || exit 1
    echo "== round $r: Placement ($(cut -d' ' -f1-3 /proc/loadavg))"
    timeout 900 /usr/bin/python3 "$HERE/placement_find_claim.py" --url "$URL" --round "$r" --out "$PEER_OUT"
done
