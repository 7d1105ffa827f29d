#!/usr/bin/env bash
# Benchmarks of the hot path and the dashboards, on SQLite and PostgreSQL, in one run so that
# ratios are comparable on a shared, noisy machine. Not a test: it prints figures and writes them
# to tests/bench/RESULTS.md.
#
#   1. Redirects: Chorus (release) with 1,000 shares, driven by wrk (Debian package, installed
#      here) at 64 connections with random codes and a browser/bot user-agent mix, against a
#      baseline server that answers the same 302 without recording anything. Reports requests/s,
#      the Chorus ÷ baseline ratio, p50/p99 latency, peak RSS, and redirects answered vs clicks
#      stored (zero loss).
#   2. Crash: the same load with the server killed by SIGKILL mid-run; every redirect answered
#      must be in the database after restart.
#   3. Dashboards: 5,000,000 clicks over 90 days across 10,000 shares, then p50/p95 of the
#      organisation-wide and manager dashboards over repeated calls.
#   4. Fold: the SQLite click folder alone (`chorus-bench fold`): 200,000 queued clicks moved
#      into the raw table and the rollups, in clicks/s and CPU µs per click. Under redirect load
#      the folder shares the two cores with the request path, so its cost per click bounds the
#      redirect throughput that can be sustained.
#   5. Recognition: 1,000,000 events through the reward-rule engine and the ledger consistency
#      check (scripts/bench-recognition.sh).
#
# Options (environment): BENCH_SECONDS (default 15), BENCH_CLICKS (default 5000000),
# BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test; set to "off" to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds="${BENCH_SECONDS:-15}"
clicks="${BENCH_CLICKS:-5000000}"
pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
sections="${BENCH_SECTIONS:-redirect crash dashboards fold recognition}"
wants() { [[ " $sections " == *" $1 "* ]]; }
work=$(mktemp -d)
results="$root/tests/bench/RESULTS.md"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null 2>&1; then
  echo "==> installing wrk (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else sudo apt-get install -y -qq wrk >/dev/null; fi
fi

echo "==> building release binaries"
cargo build --release --locked -q -p chorus --bin chorus -p chorus-tests --bin redirect-baseline --bin chorus-bench
chorus="$root/target/release/chorus"
tool="$root/target/release/chorus-bench"
baseline="$root/target/release/redirect-baseline"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_chorus <database url> <data dir> <port> → sets $server_pid
start_chorus() {
  mkdir -p "$2"
  CHORUS_DATABASE_URL="$1" CHORUS_DATA_DIR="$2" CHORUS_LISTEN="127.0.0.1:$3" CHORUS_AUTO_MIGRATE=true \
    CHORUS_AUTH__JWT_SECRET="bench-secret-bench-secret-bench-secret-0123" CHORUS_LOG_LEVEL=warn \
    CHORUS_FRONTEND_DIR=/nonexistent CHORUS_AUTH__TRUSTED_PROXIES='["127.0.0.1/32"]' \
    CHORUS_AUTH__LOGIN_PER_ACCOUNT_PER_MINUTE=10000 CHORUS_AUTH__LOGIN_PER_CLIENT_PER_MINUTE=10000 \
    CHORUS_JOBS__OUTBOX=off CHORUS_JOBS__HOUSEKEEPING=off \
    "$chorus" serve >"$2/server.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$3/readyz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "server did not become ready; log:" >&2
  cat "$2/server.log" >&2
  return 1
}

peak_rss_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# load <port> <seconds> → JSON line from redirect.lua
load() {
  CODES_FILE="$codes" wrk -t2 -c64 -d"$2s" --timeout 5s -s "$root/tests/bench/redirect.lua" "http://127.0.0.1:$1" | tail -n 1
}

json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

declare -A db_urls
mkdir -p "$work/sqlite"
db_urls[sqlite]="sqlite://$work/sqlite/chorus.db?mode=rwc"
pg_db=""
if [ "$pg_admin" != "off" ]; then
  pg_db="chorus_bench_$$"
  psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db" -c "CREATE DATABASE $pg_db" >/dev/null
  db_urls[postgres]="${pg_admin%/*}/$pg_db"
  trap 'cleanup; psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
fi
engines=(sqlite)
[ -n "$pg_db" ] && engines+=(postgres)

report="$work/report.md"
{
  echo "# Benchmark results"
  echo
  echo "Command: \`scripts/bench.sh\` (BENCH_SECONDS=$seconds, BENCH_CLICKS=$clicks). Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr). Run: $(date -u +%Y-%m-%dT%H:%MZ)."
  echo "Figures vary between runs on this shared machine; compare the ratios measured in one run."
  echo
  echo "## Redirects (GET /r/{code}), wrk -t2 -c64 -d${seconds}s, 1,000 shares, ~80 % browser / 20 % bot user agents"
  echo
  echo "| server | requests/s | ÷ baseline | p50 ms | p99 ms | peak RSS MB | 302 answered | clicks stored | lost | not yet folded when the load ended | stop (folds the rest) s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
} >"$report"

declare -A rps
for engine in "${engines[@]}"; do
  wants redirect || wants crash || break
  codes="$work/codes-$engine.txt"
  echo "==> [$engine] seeding 1,000 shares"
  "$tool" links --database-url "${db_urls[$engine]}" --shares 1000 --codes "$codes" >/dev/null
  wants redirect || continue
  # Baseline with the same codes, measured next to each engine's run.
  port=$(free_port)
  "$baseline" "127.0.0.1:$port" "$codes" "https://example.com/landing" >/dev/null &
  base_pid=$!
  pids+=("$base_pid")
  sleep 0.3
  echo "==> [$engine] baseline load"
  base=$(load "$port" "$seconds")
  base_rss=$(peak_rss_mb "$base_pid")
  kill "$base_pid"
  base_rps=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(round(d['found_302']/(d['duration_us']/1e6)))" "$base")
  echo "| baseline (no recording) | $base_rps | 1.00 | $(json "$base" p50_ms) | $(json "$base" p99_ms) | $base_rss | $(json "$base" found_302) | – | – | – | – |" >>"$report"

  port=$(free_port)
  start_chorus "${db_urls[$engine]}" "$work/$engine" "$port"
  before=$("$tool" count --database-url "${db_urls[$engine]}")
  echo "==> [$engine] Chorus load"
  out=$(load "$port" "$seconds")
  rss=$(peak_rss_mb "$server_pid")
  # Clicks answered and stored but not yet folded into the rollups when the load ends; the
  # server folds them before it exits.
  backlog=$("$tool" count --database-url "${db_urls[$engine]}" --unfolded)
  stop_at=$(date +%s.%N)
  kill -TERM "$server_pid"; wait "$server_pid" || true
  drain=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$stop_at")
  after=$("$tool" count --database-url "${db_urls[$engine]}")
  stored=$((after - before))
  answered=$(json "$out" found_302)
  chorus_rps=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(round(d['found_302']/(d['duration_us']/1e6)))" "$out")
  ratio=$(python3 -c "print(f'{$chorus_rps/$base_rps:.2f}')")
  lost=$(( answered > stored ? answered - stored : 0 ))
  rps[$engine]=$ratio
  echo "| Chorus on $engine | $chorus_rps | $ratio | $(json "$out" p50_ms) | $(json "$out" p99_ms) | $rss | $answered | $stored | $lost | $backlog | $drain |" >>"$report"
  echo "    $engine: $chorus_rps req/s (baseline $base_rps, ratio $ratio), p99 $(json "$out" p99_ms) ms, RSS $rss MB, answered $answered, stored $stored, unfolded at the end $backlog (stop took $drain s)"
done

{
  echo
  echo "## Crash: SIGKILL mid-load, restart, count"
  echo
  echo "| server | 302 answered before the kill | clicks stored after restart | answered but missing |"
  echo "|---|---|---|---|"
} >>"$report"
for engine in "${engines[@]}"; do
  wants crash || break
  codes="$work/codes-$engine.txt"
  port=$(free_port)
  start_chorus "${db_urls[$engine]}" "$work/$engine" "$port"
  before=$("$tool" count --database-url "${db_urls[$engine]}")
  echo "==> [$engine] load, then SIGKILL after 4 s"
  (CODES_FILE="$codes" wrk -t2 -c64 -d8s --timeout 2s -s "$root/tests/bench/redirect.lua" "http://127.0.0.1:$port" | tail -n 1 >"$work/kill-$engine.json") &
  wrk_pid=$!
  sleep 4
  kill -9 "$server_pid"
  wait "$wrk_pid" || true
  start_chorus "${db_urls[$engine]}" "$work/$engine" "$port"
  after=$("$tool" count --database-url "${db_urls[$engine]}")
  kill -TERM "$server_pid"; wait "$server_pid" || true
  answered=$(json "$(cat "$work/kill-$engine.json")" found_302)
  stored=$((after - before))
  missing=$(( answered > stored ? answered - stored : 0 ))
  echo "| Chorus on $engine | $answered | $stored | $missing |" >>"$report"
  echo "    $engine: answered $answered, stored $stored, missing $missing"
done

{
  echo
  echo "## Dashboards over $clicks clicks (90 days, 10,000 shares, 1,000 people in 25 teams)"
  echo
  echo "Timed after the server's first two \`rules\` runs (the first derives the bulk-loaded data's milestones)."
  echo
  echo "| database | endpoint | human clicks in view | p50 ms | p95 ms |"
  echo "|---|---|---|---|---|"
} >>"$report"
for engine in "${engines[@]}"; do
  wants dashboards || break
  echo "==> [$engine] seeding $clicks clicks"
  seeded=$("$tool" clicks --database-url "${db_urls[$engine]}" --clicks "$clicks" --shares 10000 --days 90)
  echo "    $seeded"
  port=$(free_port)
  start_chorus "${db_urls[$engine]}" "$work/$engine" "$port"
  # The bulk load wrote no recognition events: the server's first `rules` runs derive the
  # milestones of every share and evaluate them, a one-off catch-up. Views are timed once two
  # runs have finished, as on a server that has been up.
  for _ in $(seq 1 1200); do
    runs=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^chorus_job_runs_total\{job="rules"/ { n += $2 } END { print n + 0 }')
    [ "$runs" -ge 2 ] && break
    sleep 0.25
  done
  while read -r line; do
    echo "| $engine | $(json "$line" endpoint) | $(json "$line" human_clicks) | $(json "$line" p50_ms) | $(json "$line" p95_ms) |" >>"$report"
    echo "    $engine: $(json "$line" endpoint): p50 $(json "$line" p50_ms) ms, p95 $(json "$line" p95_ms) ms"
  done < <("$tool" dashboards --base "http://127.0.0.1:$port" --calls 40)
  kill -TERM "$server_pid"; wait "$server_pid" || true
done

if wants fold; then
  {
    echo
    echo "## Click fold alone (SQLite): 200,000 queued clicks on 1,000 shares, chunks of 1,000"
    echo
    echo "| run | clicks/s | CPU µs per click | peak RSS MB (the tool) |"
    echo "|---|---|---|---|"
  } >>"$report"
  for run in 1 2 3; do
    mkdir -p "$work/fold-$run"
    fold_url="sqlite://$work/fold-$run/chorus.db?mode=rwc"
    "$tool" links --database-url "$fold_url" --shares 1000 --codes "$work/fold-$run/codes.txt" >/dev/null
    line=$("$tool" fold --database-url "$fold_url" --clicks 200000 --chunk 1000)
    echo "| $run | $(json "$line" clicks_per_second) | $(json "$line" cpu_us_per_click) | $(json "$line" peak_rss_mb) |" >>"$report"
    echo "    fold run $run: $(json "$line" clicks_per_second) clicks/s, $(json "$line" cpu_us_per_click) µs CPU per click"
    rm -rf "$work/fold-$run"
  done
fi

{
  echo
  echo "Targets (issue 3): SQLite ≥ 0.6 × baseline, PostgreSQL ≥ 0.4 × baseline; p99 ≤ 10 ms at 64"
  echo "connections; zero lost clicks including after SIGKILL; peak RSS ≤ 64 MB under load;"
  echo "dashboard p95 ≤ 20 ms over 5M clicks on both databases."
} >>"$report"
cp "$report" "$results"
# 5. The reward-rule engine (its own script; appends its section to the results).
if wants recognition; then
  BENCH_POSTGRES_URL="$pg_admin" "$root/scripts/bench-recognition.sh"
fi
echo "==> results written to tests/bench/RESULTS.md"
cat "$results"
