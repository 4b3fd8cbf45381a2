#!/usr/bin/env bash
# The fuzzers' long form (issue 11). Runs every test with the trait Category=Fuzz (the scenario reader's fuzzer in
# Lessor.Storage.Tests, the API body fuzzer in Lessor.Server.Tests, any added later) with LESSOR_FUZZ_ITERATIONS
# inputs each instead of the short form the suite runs. Each fuzz test prints what it tried and what it found, and
# writes the smallest input of each kind of finding under LESSOR_FUZZ_OUT. Exits non-zero on any finding.
#
#   bash scripts/fuzz.sh              # 100,000 inputs per fuzz test
#   bash scripts/fuzz.sh 20000        # or as many as given
#   LESSOR_FUZZ_OUT=findings bash scripts/fuzz.sh
set -uo pipefail
cd "$(dirname "$0")/.."

export LESSOR_FUZZ_ITERATIONS="${1:-${LESSOR_FUZZ_ITERATIONS:-100000}}"
export LESSOR_FUZZ_OUT="${LESSOR_FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/lessor-fuzz.XXXXXX")}"
mkdir -p "$LESSOR_FUZZ_OUT"
echo "== fuzzing with $LESSOR_FUZZ_ITERATIONS inputs per fuzz test; findings go to $LESSOR_FUZZ_OUT"

# Only the test projects that hold fuzz tests are built and run: the machine is shared, and the rest have no use here.
projects=()
for csproj in tests/*/*.Tests.csproj; do
  if grep -rqE 'Trait\("Category", "Fuzz"\)' "$(dirname "$csproj")" --include='*.cs'; then projects+=("$csproj"); fi
done
if [ ${#projects[@]} -eq 0 ]; then echo "no fuzz tests found"; exit 1; fi

status=0
for p in "${projects[@]}"; do
  echo "== $p"
  log="$LESSOR_FUZZ_OUT/$(basename "$p" .csproj).log"
  # Detailed verbosity shows each fuzz test's own summary (inputs, findings, slowest input) even when it passes;
  # the whole output is kept next to the findings.
  dotnet test "$p" -c Release -nologo --filter "Category=Fuzz" --logger "console;verbosity=detailed" 2>&1 \
    | tee "$log" | grep --line-buffered -vE '^\s+at |^\[xUnit\.net [0-9:.]+\]\s+(Discover|Start|Finish|Execut)'
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
echo "== findings folder: $LESSOR_FUZZ_OUT"
exit $status
