#!/usr/bin/env bash
# THE test command: installs the test prerequisites, then runs every test project of the solution
# and ends with the failed tests, if any, and one summary line ("Tests: N passed, N failed,
# N skipped"). Exits non-zero when any test fails, a test project crashes or hangs, or nothing ran.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

scripts/install-test-prereqs.sh

results="$repo_root/TestResults/test-sh"
rm -rf "$results"
mkdir -p "$results"

# A hung test is killed (with a dump of who waited on what) after 10 minutes instead of eating
# the whole CI budget; every test bounds itself far below that.
dotnet_status=0
dotnet test Chronoq.sln \
  --configuration Release \
  --logger "console;verbosity=normal" \
  --logger trx \
  --results-directory "$results" \
  --blame-hang-timeout 10m \
  < /dev/null || dotnet_status=$?

# Sum the counters of every test run's report: one line that says what happened overall.
passed=0 failed=0 skipped=0 reports=0
shopt -s nullglob
for trx in "$results"/*.trx "$results"/*/*.trx; do
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  count() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total_run=$(count total)
  run_passed=$(count passed)
  run_failed=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) ))
  reports=$((reports + 1))
  passed=$((passed + ${run_passed:-0}))
  failed=$((failed + run_failed))
  skipped=$((skipped + ${total_run:-0} - ${run_passed:-0} - run_failed))
done

# The failures again, last, with their messages: CI keeps only the tail of the output, and a
# failure's own lines are otherwise far above it among hundreds of passes.
if [ "$failed" -ne 0 ]; then
  echo
  echo "Failed tests:"
  /usr/bin/python3 - "$results" <<'PYTHON'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
reports = glob.glob(sys.argv[1] + "/*.trx") + glob.glob(sys.argv[1] + "/*/*.trx")
for trx in reports:
    for result in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns):
        if result.get("outcome") in ("Passed", "NotExecuted"):
            continue
        print(f"  {result.get('outcome')}: {result.get('testName')} [{result.get('duration')}]")
        for tag in ("Message", "StackTrace"):
            text = result.findtext(f".//t:ErrorInfo/t:{tag}", default="", namespaces=ns).strip()
            for line in text.splitlines()[:25]:
                print(f"    {line}")
PYTHON
fi

echo
echo "dotnet test exit code: $dotnet_status; test reports: $reports"
echo "Tests: $passed passed, $failed failed, $skipped skipped"

if [ "$dotnet_status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  echo "RESULT: FAIL"
  exit 1
fi
echo "RESULT: PASS"
