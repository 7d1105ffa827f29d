#!/usr/bin/env bash
# Benchmark of the reward-rule engine on SQLite and PostgreSQL: an organisation of 1,000 people
# with four active rules (day/week/month caps, one with a programme budget), BENCH_EVENTS events
# (default 1,000,000) written into the recognition inbox, then evaluated by the real engine
# (`rules::process`, as the scheduled `rules` job runs it), then the ledger consistency check.
# Reports events/s and the check's time, and writes them as the last section of
# tests/bench/RESULTS.md ("## Recognition rule engine"). Called by scripts/bench.sh; runs alone
# too.
#
# Options (environment): BENCH_EVENTS (default 1000000), BENCH_PEOPLE (default 1000),
# BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test; "off" skips PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
events="${BENCH_EVENTS:-1000000}"
people="${BENCH_PEOPLE:-1000}"
pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
results="$root/tests/bench/RESULTS.md"
work=$(mktemp -d)
pg_db=""
cleanup() {
  rm -rf "$work"
  if [ -n "$pg_db" ]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

echo "==> building the release benchmark tool"
cargo build --release --locked -q -p chorus-tests --bin chorus-rules-bench
tool="${CARGO_TARGET_DIR:-$root/target}/release/chorus-rules-bench"

declare -A urls
urls[sqlite]="sqlite://$work/chorus.db?mode=rwc"
engines=(sqlite)
if [ "$pg_admin" != "off" ]; then
  pg_db="chorus_rules_bench_$$"
  psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db" -c "CREATE DATABASE $pg_db" >/dev/null
  urls[postgres]="${pg_admin%/*}/$pg_db"
  engines+=(postgres)
fi

json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

section="$work/section.md"
{
  echo "## Recognition rule engine"
  echo
  echo "Command: \`scripts/bench-recognition.sh\` (BENCH_EVENTS=$events, BENCH_PEOPLE=$people; release build). Machine: $(nproc) cores, $(uname -sr). Run: $(date -u +%Y-%m-%dT%H:%MZ)."
  echo "Four active rules (engagement per unit with diminishing returns and day/week caps; shares with a day cap; LinkedIn shares with a month cap and a budget; thanks received with a week cap); events spread over 30 days among the people. Evaluation is the real engine as the \`rules\` job runs it (batches of 10,000 events, holding the evaluation lease); the check recomputes every balance from the entries."
  echo
  echo "| database | events | awards | ledger transactions | insert s | evaluate s | events/s | consistency check s (org) | check s (all) | consistent |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$section"
for engine in "${engines[@]}"; do
  echo "==> [$engine] $events events"
  out=$("$tool" --database-url "${urls[$engine]}" --events "$events" --people "$people")
  echo "$out"
  echo "| $engine | $(json "$out" events) | $(json "$out" awards) | $(json "$out" transactions) | $(json "$out" insert_secs) | $(json "$out" process_secs) | $(json "$out" events_per_sec) | $(json "$out" check_secs) | $(json "$out" check_all_secs) | $(json "$out" consistent) |" >>"$section"
done
echo >>"$section"
echo "Target (issue 4): ≥ 20,000 events/s on SQLite on this machine." >>"$section"

# Replace the previous section (always the last one) with this run's.
if [ -f "$results" ] && grep -q '^## Recognition rule engine' "$results"; then
  sed -i '/^## Recognition rule engine/,$d' "$results"
fi
[ -s "$results" ] && [ -n "$(tail -c1 "$results")" ] && echo >>"$results"
cat "$section" >>"$results"
echo "==> written to tests/bench/RESULTS.md"
cat "$section"
