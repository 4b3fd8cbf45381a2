#!/usr/bin/env bash
# Runs every test on a fresh machine: starts what the tests need (a throwaway PostgreSQL 15 cluster and a NATS server
# with JetStream, each on a free loopback port; Debian's HAProxy for the fault drill; Debian's Chromium for console tests), builds, runs every test project, and ends with one plain
# line: `N passed, N failed, N skipped`. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lessor-test.XXXXXX")
chmod 755 "$work"
# The tests' own temporary files (stores, scenarios, agent state, browser profiles) go under the run's folder, which is
# removed at the end: a test that leaves a file behind does not leave it on the machine.
mkdir -p "$work/tmp"
chmod 1777 "$work/tmp"
log="$work/test.log"

finish() {
  local passed=$1 failed=$2 skipped=$3
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
}
cleanup() {
  bash "$root/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  bash "$root/scripts/nats.sh" stop "$work/nats" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting PostgreSQL (throwaway cluster)"
if ! LESSOR_TEST_PG=$(bash scripts/pg.sh start "$work/pg"); then
  echo "could not start PostgreSQL; see the lines above"
  finish 0 1 0; exit 1
fi
export LESSOR_TEST_PG
echo "   $LESSOR_TEST_PG"

# The short fault drill (tests/Lessor.Cli.Tests/Faults) puts Debian's HAProxy in front of three `lessor serve`.
echo "== ensuring HAProxy (Debian package) for the fault drill"
if ! bash scripts/haproxy.sh install; then
  echo "could not install HAProxy; see the lines above"
  finish 0 1 0; exit 1
fi
echo "== starting NATS with JetStream (throwaway server)"
if ! LESSOR_TEST_NATS=$(bash scripts/nats.sh start "$work/nats"); then
  echo "could not start nats-server; see the lines above"
  finish 0 1 0; exit 1
fi
export LESSOR_TEST_NATS
echo "   $LESSOR_TEST_NATS"

if [ -x scripts/chromium.sh ]; then
  echo "== ensuring Chromium (Debian package) for console tests"
  if ! bash scripts/chromium.sh; then
    echo "could not install Chromium; see the lines above"
    finish 0 1 0; exit 1
  fi
fi

echo "== building"
if ! dotnet build Lessor.slnx -c Release -nologo -v quiet >"$work/build.log" 2>&1; then
  grep -E "error|Error" "$work/build.log" | sort -u | head -50
  echo "build failed"
  finish 0 1 0; exit 1
fi

echo "== testing"
export TMPDIR="$work/tmp"
dotnet test Lessor.slnx -c Release --no-build -nologo --logger "console;verbosity=minimal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# VSTest prints one summary per test project: "Passed!  - Failed: 0, Passed: 6, Skipped: 0, Total: 6, ...".
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- +Failed:/ {
    for (i = 1; i <= NF; i++) {
      gsub(",", "", $(i+1))
      if ($i == "Failed:") f += $(i+1)
      if ($i == "Passed:") p += $(i+1)
      if ($i == "Skipped:") s += $(i+1)
    }
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")
projects=$(grep -cE '(Passed|Failed)! +- +Failed:' "$log")
expected=$(find tests -name '*.Tests.csproj' | wc -l)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "dotnet test exited $status"; fi
if [ "$projects" -lt "$expected" ]; then
  echo "only $projects of $expected test projects reported a summary"
  failed=$((failed + expected - projects))
fi
finish "$passed" "$failed" "$skipped"
