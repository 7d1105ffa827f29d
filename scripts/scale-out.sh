#!/usr/bin/env bash
# Scale-out test: three `chorus serve` processes on one fresh PostgreSQL database behind a real
# nginx (Debian's package, see scripts/fetch-nginx.sh) on 127.0.0.1, with second-level cron
# schedules and a real SMTP sink. Bounded load through nginx (tracked redirects, thanks with a
# point, shares), then:
#   - clicks stored == redirects (302) answered,
#   - every scheduled job ran exactly once per tick across the three servers (job_runs),
#   - no email delivered twice (distinct Message-IDs == messages received == outbox sent),
#   - the points ledger is consistent (GET /api/v1/admin/recognition/consistency),
#   - rollups and the programme dashboard equal the raw click counts.
# Prints the figures. Needs CHORUS_TEST_POSTGRES_URL (a database to create databases from), psql,
# python3 and the chorus binary (CHORUS_BIN, default target/debug/chorus). Runs in about 1 minute;
# SCALE_OUT_SECONDS sets the load duration (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
: "${CHORUS_TEST_POSTGRES_URL:?set CHORUS_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/test}"
BIN="${CHORUS_BIN:-$ROOT/target/debug/chorus}"
[ -x "$BIN" ] || cargo build --locked -p chorus --bin chorus
SECONDS_OF_LOAD="${SCALE_OUT_SECONDS:-20}"
OPS="python3 $ROOT/scripts/ops/chorus_ops.py"
NGINX="$(scripts/fetch-nginx.sh)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/chorus-scale-out.XXXXXX")"
DB="chorus_scale_$(date +%s)_$$"
DB_URL="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$CHORUS_TEST_POSTGRES_URL" "$DB")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql -q "$CHORUS_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  if [ "${KEEP_WORK:-}" = "" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
fail() {
  echo "scale-out: FAILED: $*" >&2
  for log in "$WORK"/server-*.log; do echo "--- $log (last lines)" >&2; tail -n 15 "$log" >&2; done
  exit 1
}
sql() { psql -qAt "$DB_URL" -c "$1"; }

read -r P1 P2 P3 PN PS <<<"$($OPS free-ports 5)"
psql -q "$CHORUS_TEST_POSTGRES_URL" -c "CREATE DATABASE \"$DB\"" >/dev/null

export CHORUS_DATABASE_URL="$DB_URL"
export CHORUS_AUTH__JWT_SECRET="scale-out-secret-scale-out-secret-0123456789"
export CHORUS_LOG_FORMAT=json CHORUS_LOG_LEVEL=warn CHORUS_FRONTEND_DIR="$WORK/none"
export CHORUS_PUBLIC_URL="http://127.0.0.1:$PN"
export CHORUS_AUTH__TRUSTED_PROXIES='["127.0.0.1/32"]'
export CHORUS_AUTH__LOGIN_PER_ACCOUNT_PER_MINUTE=1000 CHORUS_AUTH__LOGIN_PER_CLIENT_PER_MINUTE=1000
export CHORUS_MAIL__TRANSPORT=smtp CHORUS_MAIL__SMTP_HOST=127.0.0.1 CHORUS_MAIL__SMTP_PORT="$PS"
export CHORUS_MAIL__SMTP_TLS=none CHORUS_MAIL__RETRY_BASE_MS=200 CHORUS_MAIL__RETRY_MAX_MS=2000
export CHORUS_DATABASE__MAX_CONNECTIONS=8
export CHORUS_ADVOCACY__LINK_CACHE_SECS=2
export CHORUS_JOBS__OUTBOX="*/2 * * * * *" CHORUS_JOBS__RULES="*/2 * * * * *"
export CHORUS_JOBS__PUBLISH="* * * * * *" CHORUS_JOBS__HOUSEKEEPING="*/3 * * * * *"
export CHORUS_JOBS__SALTS="*/5 * * * * *" CHORUS_JOBS__PARTITIONS="*/5 * * * * *"
export CHORUS_JOBS__RETENTION="*/5 * * * * *"

echo "==> scale-out: database $DB, migrate once, demo data"
"$BIN" migrate up >/dev/null
CHORUS_DATA_DIR="$WORK/seed" "$BIN" seed-demo >/dev/null

$OPS smtp-sink "$PS" "$WORK/mail" >"$WORK/smtp.log" 2>&1 &
PIDS+=($!)
i=0
for port in "$P1" "$P2" "$P3"; do
  i=$((i + 1))
  CHORUS_LISTEN="127.0.0.1:$port" CHORUS_INSTANCE_ID="server-$i" CHORUS_DATA_DIR="$WORK/data-$i" \
    "$BIN" serve >"$WORK/server-$i.log" 2>&1 &
  PIDS+=($!)
done

mkdir -p "$WORK/nginx/tmp"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  upstream chorus {
    server 127.0.0.1:$P1;
    server 127.0.0.1:$P2;
    server 127.0.0.1:$P3;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:$PN;
    location / {
      proxy_pass http://chorus;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      # A request a server never answered is retried on the next one; never a POST.
      proxy_next_upstream error timeout;
    }
  }
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -g "daemon off; user root;" &
PIDS+=($!)
BASE="http://127.0.0.1:$PN"

deadline=$((SECONDS + 30))
for port in "$P1" "$P2" "$P3" "$PN"; do
  until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do
    [ $SECONDS -lt $deadline ] || fail "127.0.0.1:$port is not ready after 30 s"
    sleep 0.3
  done
done

echo "==> scale-out: ${SECONDS_OF_LOAD}s of load through nginx on $BASE (3 servers)"
$OPS setup "$BASE" "$WORK/setup.json" || fail "setup through nginx"
clicks_before="$(sql "SELECT count(*) FROM clicks")"
load_started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
$OPS load "$BASE" "$SECONDS_OF_LOAD" "$WORK/load.json" || fail "load client"
load_ended="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
cat "$WORK/load.json"; echo

# Let queued mail go out (the outbox job runs every 2 s on whichever server wins the tick).
deadline=$((SECONDS + 40))
until [ "$(sql "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')")" = 0 ]; do
  [ $SECONDS -lt $deadline ] || fail "outbox did not drain: $(sql "SELECT status, count(*) FROM outbox GROUP BY 1")"
  sleep 1
done
sleep 1

answered="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("r_302", 0))' "$WORK/load.json")"
stored=$(($(sql "SELECT count(*) FROM clicks") - clicks_before))
echo "redirects answered 302: $answered; clicks stored: $stored"
[ "$answered" -gt 0 ] || fail "no redirect answered"
[ "$answered" = "$stored" ] || fail "clicks stored ($stored) != redirects answered ($answered)"

echo "job runs during the load, per job: ticks, runs, servers that ran some, longest gap (s)"
sql "SELECT job, count(DISTINCT scheduled_for), count(*), count(DISTINCT instance),
            coalesce(max(gap), 0)
       FROM (SELECT job, scheduled_for, instance,
                    extract(epoch FROM scheduled_for - lag(scheduled_for) OVER (PARTITION BY job ORDER BY scheduled_for))::int AS gap
               FROM job_runs WHERE scheduled_for BETWEEN '$load_started' AND '$load_ended') r
      GROUP BY job ORDER BY job" | sed 's/^/  /'
dupes="$(sql "SELECT count(*) FROM (SELECT job, scheduled_for FROM job_runs GROUP BY 1, 2 HAVING count(*) > 1) d")"
[ "$dupes" = 0 ] || fail "$dupes ticks ran more than once"
publish_ticks="$(sql "SELECT count(*) FROM job_runs WHERE job = 'publish' AND scheduled_for BETWEEN '$load_started' AND '$load_ended'")"
[ "$publish_ticks" -ge $((SECONDS_OF_LOAD - 3)) ] || fail "publish ran for $publish_ticks of ~$SECONDS_OF_LOAD ticks"
# A run may still be in progress ('running') as this is read; none may have failed.
failed_runs="$(sql "SELECT count(*) FROM job_runs WHERE outcome NOT IN ('succeeded', 'running')")"
[ "$failed_runs" = 0 ] || fail "job runs not succeeded: $(sql "SELECT job, outcome, error FROM job_runs WHERE outcome NOT IN ('succeeded', 'running') LIMIT 5")"
spread="$(sql "SELECT count(DISTINCT instance) FROM job_runs")"
[ "$spread" -ge 2 ] || fail "all ticks ran on one server ($spread)"

mail="$($OPS message-ids "$WORK/mail")"
sent="$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")"
echo "emails: $mail; outbox sent: $sent"
python3 - "$mail" "$sent" <<'PY' || fail "emails"
import json, sys
m, sent = json.loads(sys.argv[1]), int(sys.argv[2])
assert m["messages"] > 0, "no email delivered"
assert m["messages"] == m["unique"], f"{m['messages'] - m['unique']} emails delivered twice"
assert m["messages"] == sent, f"SMTP received {m['messages']}, outbox marked {sent} sent"
PY

ADMIN="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$WORK/setup.json")"
consistency="$($OPS get "$BASE" /api/v1/admin/recognition/consistency "$ADMIN")"
echo "ledger: $consistency"
python3 -c 'import json,sys; r = json.loads(sys.argv[1]); assert r["consistent"] and r["transactions"] > 0, r' "$consistency" \
  || fail "ledger inconsistent"

rollups="$(sql "SELECT sum(human_clicks) || ' ' || sum(bot_hits) || ' ' || sum(self_clicks) FROM reach_daily")"
raw="$(sql "SELECT count(*) FILTER (WHERE class = 'human') || ' ' || count(*) FILTER (WHERE class = 'bot') || ' ' || count(*) FILTER (WHERE class = 'self') FROM clicks")"
echo "rollups human/bot/self: $rollups; raw clicks: $raw"
[ "$rollups" = "$raw" ] || fail "rollups ($rollups) != raw clicks ($raw)"
from="$(date -u -d '-100 days' +%F)"
to="$(date -u -d '+1 day' +%F)"
programme="$($OPS get "$BASE" "/api/v1/reach/programme?from=$from&to=$to" "$ADMIN")"
human_raw="$(sql "SELECT count(*) FROM clicks WHERE class = 'human' AND clicked_at >= '$from'")"
dashboard="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["totals"]["human_clicks"])' "$programme")"
echo "programme dashboard human clicks: $dashboard; raw human clicks: $human_raw"
[ "$dashboard" = "$human_raw" ] || fail "dashboard ($dashboard) != raw ($human_raw)"

for i in 1 2 3; do
  if grep -q '"level":"ERROR"' "$WORK/server-$i.log"; then fail "server-$i logged errors"; fi
done
echo "==> scale-out: passed in ${SECONDS} s"
