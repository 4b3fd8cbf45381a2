#!/usr/bin/env bash
# Reruns every headline figure of docs/BENCHMARKS.md and writes them, one JSON object per line, to a result file
# (what each measures, on which book, attempted and succeeded, wall and CPU, baseline and ratio, goal, load average),
# then prints them as a table. Exits non-zero when any benchmark fails, including when the work it claims to time did
# not happen (fewer committed signs than attempted, refused checks, ...).
#
#   scripts/bench.sh            # full: about 35-45 minutes on a 2-core machine (with OpenStack Placement beside it)
#   scripts/bench.sh quick      # the same figures on smaller runs, without the peer: about 10-15 minutes
#   scripts/bench.sh full OUT   # write the results to OUT (default bench/results/<UTC time>.jsonl)
#
# Benchmarks delete what they write under $TMPDIR and stop the servers they start.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-full}
case "$mode" in quick|full) ;; *) echo "usage: scripts/bench.sh [quick|full] [OUT]" >&2; exit 2 ;; esac
out=${2:-bench/results/$(date -u +%Y%m%dT%H%MZ)-$mode.jsonl}
mkdir -p "$(dirname "$out")"
: >"$out"
export LESSOR_BENCH_OUT=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

echo "== building (Release)"
dotnet build src/Lessor.Cli -c Release -nologo -v quiet >/dev/null
dotnet build bench/Lessor.Bench -c Release -nologo -v quiet >/dev/null
bench() { echo "== Lessor.Bench $*  (load $(cut -d' ' -f1-3 /proc/loadavg))"; dotnet bench/Lessor.Bench/bin/Release/net10.0/Lessor.Bench.dll "$@"; }

failed=0
run() { if ! bench "$@"; then echo "!! Lessor.Bench $* FAILED"; failed=$((failed + 1)); fi; }

if [ "$mode" = quick ]; then
  run desk 1000000 500 2
  run scale 100000 1000000
  run plan
  run placement 5 20 10
  run api
  run claims --ops 100000 --seconds 10 --rates 1000 --pg auto
  run risk bundled --trials 10000
  run replicas --pg auto --gpus 100000 --samples 50 --races 10
  run ingest --seconds 60
else
  run desk 1000000 2000 5
  run scale 100000 1000000 4000000
  run plan
  run placement 20 20 10
  run placement 20 30 10
  run api --seconds 60 --rates 500,1000,2000,4000
  run claims --seconds 30 --rates 1000,2000,3000 --pg auto
  run risk bundled --trials 10000
  run risk 1m --trials 1000 --threads 2
  run replicas --pg auto --gpus 1000000 --samples 200 --races 30
  run replicas --gpus 1000000 --samples 100 --races 30
  # 1,000,000 GPUs reporting every 10 s through JetStream (scripts/nats.sh) for 10 minutes, kill -9 of the server midway.
  run ingest --seconds 600
  # OpenStack Placement on this machine, HTTP against HTTP (needs root; installs its Debian packages the first time).
  # LESSOR_BENCH_PEERS=0 leaves it out.
  if [ "${LESSOR_BENCH_PEERS:-1}" != 0 ]; then
    echo "== peers: bench/Lessor.Bench/Claims/peer/peer-placement.sh 2"
    if ! bash bench/Lessor.Bench/Claims/peer/peer-placement.sh 2; then echo "!! peers FAILED"; failed=$((failed + 1)); fi
  fi
fi

echo "== results: $LESSOR_BENCH_OUT"
dotnet bench/Lessor.Bench/bin/Release/net10.0/Lessor.Bench.dll summary "$LESSOR_BENCH_OUT"
if [ "$failed" -gt 0 ]; then echo "$failed benchmark(s) failed"; exit 1; fi
