#!/usr/bin/env bash
# Runs every test project of Tidings on a fresh machine and ends with one line: "N passed, N failed".
# Installs and starts what the tests need first (scripts/services.sh): RabbitMQ, PostgreSQL and Chromium (for the
# browser tests) from Debian's packages.
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (dotnet on PATH)." >&2
  exit 1
fi

# shellcheck source=scripts/services.sh
. scripts/services.sh
if ! ensure_rabbitmq || ! ensure_postgres || ! ensure_chromium; then
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! dotnet build Tidings.slnx -c Release >"$log" 2>&1; then
  grep -E "error" "$log" | sort -u | head -50
  echo "0 passed, 1 failed"
  exit 1
fi

# Microsoft.Testing.Platform (global.json) runs every test project of the solution and prints a summary. One test
# project at a time: the fault tests stop and start the shared RabbitMQ and PostgreSQL servers, which other projects'
# tests use too.
dotnet test --solution Tidings.slnx -c Release --no-build --max-parallel-test-modules 1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

total=$(grep -E '^\s+total: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
failed=$(grep -E '^\s+failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
skipped=$(grep -E '^\s+skipped: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')

if [ -z "${total:-}" ] || [ "${total:-0}" -eq 0 ]; then
  echo "test.sh: no test summary found; the test run did not complete." >&2
  echo "0 passed, 1 failed"
  exit 1
fi

grep -E '^failed ' "$log" | sed 's/^/  /' >&2 || true

if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then
  failed=1
fi

echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[ "$status" -eq 0 ] && [ "${failed:-0}" -eq 0 ]
