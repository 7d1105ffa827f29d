#!/usr/bin/env bash
# Fault tests against real processes, each bounded in time (about 1.5 minutes in all):
#   a. SIGKILL a server mid-load, restart it: no answered click, awarded point or queued email is
#      lost, none is duplicated;
#   b. stop PostgreSQL for 10 s under load: requests fail fast with 503 (within the acquire
#      timeout), /readyz answers 503, and everything recovers without restarting Chorus;
#   c. SMTP server down: the outbox retries and delivers once it is back;
#   d. read-only SQLite: a clear message and a non-zero exit at start; disk full while running
#      (a small tmpfs, when this user may mount one): 503 `storage_unavailable`, a clear log
#      line, recovery once space is freed, and `PRAGMA integrity_check` = ok.
# PostgreSQL here is a private instance started from the Debian binaries in a temporary
# directory on a spare 127.0.0.1 port (PG_BIN, default /usr/lib/postgresql/15/bin), so it can
# really be stopped; the machine's own PostgreSQL is never touched. Prints recovery times.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${CHORUS_BIN:-$ROOT/target/debug/chorus}"
[ -x "$BIN" ] || cargo build --locked -p chorus --bin chorus
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -x "$PG_BIN/initdb" ] || { echo "faults: PostgreSQL server binaries not found (set PG_BIN)" >&2; exit 1; }
OPS="python3 $ROOT/scripts/ops/chorus_ops.py"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/chorus-faults.XXXXXX")"
chmod 755 "$WORK"
PIDS=()
MOUNTED=""
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -f "$WORK/pg/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null || true
  if [ "${KEEP_WORK:-}" = "" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
fail() {
  echo "faults: FAILED: $*" >&2
  for log in "$WORK"/*.log "$WORK"/pglog/*.log; do echo "--- $log (last lines)" >&2; tail -n 12 "$log" >&2; done
  exit 1
}
now_ms() { date +%s%3N; }
read -r PG_PORT PORT SMTP_PORT PORT2 <<<"$($OPS free-ports 4)"

# --- private PostgreSQL --------------------------------------------------------------------------
mkdir -p "$WORK/pg" "$WORK/pgsock" "$WORK/pglog"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg" "$WORK/pgsock" "$WORK/pglog"
as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust >"$WORK/initdb.log" 2>&1 || fail "initdb"
pg_start() {
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -w -t 20 -l "$WORK/pglog/postgres.log" \
    -o "-p $PG_PORT -k $WORK/pgsock -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
}
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -w -m fast stop >/dev/null; }
pg_start || fail "PostgreSQL did not start"
DB_URL="postgres://postgres@127.0.0.1:$PG_PORT/chorus"
psql -q "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -c "CREATE DATABASE chorus" >/dev/null
sql() { psql -qAt "$DB_URL" -c "$1"; }

export CHORUS_DATABASE_URL="$DB_URL"
export CHORUS_AUTH__JWT_SECRET="faults-secret-faults-secret-faults-0123456789"
export CHORUS_LOG_FORMAT=json CHORUS_LOG_LEVEL=warn CHORUS_FRONTEND_DIR="$WORK/none"
export CHORUS_AUTH__LOGIN_PER_ACCOUNT_PER_MINUTE=1000 CHORUS_AUTH__LOGIN_PER_CLIENT_PER_MINUTE=1000
export CHORUS_MAIL__TRANSPORT=smtp CHORUS_MAIL__SMTP_HOST=127.0.0.1 CHORUS_MAIL__SMTP_PORT="$SMTP_PORT"
export CHORUS_MAIL__SMTP_TLS=none CHORUS_MAIL__SMTP_TIMEOUT_SECS=2
export CHORUS_MAIL__RETRY_BASE_MS=300 CHORUS_MAIL__RETRY_MAX_MS=1000 CHORUS_MAIL__LEASE_SECS=5
export CHORUS_DATABASE__CONNECT_TIMEOUT_SECS=1 CHORUS_DATABASE__ACQUIRE_TIMEOUT_SECS=2
export CHORUS_JOBS__OUTBOX="* * * * * *" CHORUS_JOBS__RULES="*/2 * * * * *"
"$BIN" migrate up >/dev/null
CHORUS_DATA_DIR="$WORK/seed" "$BIN" seed-demo >/dev/null

SMTP_PID=""
smtp_start() { $OPS smtp-sink "$SMTP_PORT" "$WORK/mail" >>"$WORK/smtp.log" 2>&1 & SMTP_PID=$!; PIDS+=("$SMTP_PID"); }
smtp_start
SERVER_PID=""
server_start() {
  CHORUS_LISTEN="127.0.0.1:$PORT" CHORUS_INSTANCE_ID="faults-$1" CHORUS_DATA_DIR="$WORK/data" \
    "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local deadline=$((SECONDS + 20))
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz"; do
    [ $SECONDS -lt $deadline ] || fail "server not ready"
    sleep 0.1
  done
}
BASE="http://127.0.0.1:$PORT"
counter() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' "$1" "$2"; }
outbox_drained() {
  local deadline=$((SECONDS + $1))
  until [ "$(sql "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')")" = 0 ]; do
    [ $SECONDS -lt $deadline ] || fail "outbox not drained: $(sql "SELECT status, count(*) FROM outbox GROUP BY 1")"
    sleep 0.5
  done
}
server_start 1
$OPS setup "$BASE" "$WORK/setup.json" || fail "setup"
ADMIN="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$WORK/setup.json")"

# --- a. SIGKILL mid-load -------------------------------------------------------------------------
echo "==> faults a: SIGKILL a server mid-load"
clicks0="$(sql "SELECT count(*) FROM clicks")"
thanks0="$(sql "SELECT count(*) FROM thanks")"
$OPS load "$BASE" 8 "$WORK/load-a.json" & LOAD=$!
sleep 3
kill -9 "$SERVER_PID"
killed_at="$(now_ms)"
sleep 1
server_start 2
restarted_ms=$(($(now_ms) - killed_at - 1000))
wait "$LOAD" || fail "load client"
cat "$WORK/load-a.json"; echo
answered="$(counter "$WORK/load-a.json" r_302)"
stored=$(($(sql "SELECT count(*) FROM clicks") - clicks0))
thanked="$(counter "$WORK/load-a.json" thanks_201)"
thanks_stored=$(($(sql "SELECT count(*) FROM thanks") - thanks0))
echo "redirects answered: $answered, clicks stored: $stored; thanks answered: $thanked, stored: $thanks_stored; restart took ${restarted_ms} ms"
[ "$answered" -gt 0 ] || fail "no redirect answered"
# A click committed in the instant of the kill may have had no answer; an answered one is stored.
[ "$stored" -ge "$answered" ] && [ $((stored - answered)) -le 64 ] || fail "clicks: answered $answered, stored $stored"
[ "$thanks_stored" -ge "$thanked" ] && [ $((thanks_stored - thanked)) -le 2 ] || fail "thanks: answered $thanked, stored $thanks_stored"
outbox_drained 30
mail="$($OPS message-ids "$WORK/mail")"
sent="$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")"
echo "emails: $mail, outbox sent: $sent"
# Every queued email is delivered. SMTP cannot be exactly-once across a SIGKILL: a message the
# SMTP server accepted in the instant before the kill, not yet marked sent, is sent again after
# its lease with the same Message-ID (so mail systems can drop the copy). At most the sender's
# pool size (4) can be in that window.
python3 -c 'import json,sys; m = json.loads(sys.argv[1]); assert m["unique"] == int(sys.argv[2]) > 0 and m["messages"] - m["unique"] <= 4, (m, sys.argv[2])' "$mail" "$sent" \
  || fail "emails lost or duplicated"
echo "emails re-sent with the same Message-ID after the kill: $(python3 -c 'import json,sys; m = json.loads(sys.argv[1]); print(m["messages"] - m["unique"])' "$mail")"
ledger="$($OPS get "$BASE" /api/v1/admin/recognition/consistency "$ADMIN")"
python3 -c 'import json,sys; assert json.loads(sys.argv[1])["consistent"]' "$ledger" || fail "ledger: $ledger"
rollups="$(sql "SELECT sum(human_clicks + bot_hits + self_clicks) FROM reach_daily")"
[ "$rollups" = "$(sql "SELECT count(*) FROM clicks")" ] || fail "rollups $rollups != raw clicks"

# --- b. PostgreSQL stopped for 10 s under load ---------------------------------------------------
echo "==> faults b: PostgreSQL stopped for 10 s under load"
clicks0="$(sql "SELECT count(*) FROM clicks")"
$OPS load "$BASE" 22 "$WORK/load-b.json" & LOAD=$!
python3 - "$BASE/readyz" "$WORK/readyz.log" 24 <<'PY' & PROBE=$!
import sys, time, urllib.request, urllib.error
url, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.time() + seconds
with open(out, "w") as f:
    while time.time() < end:
        started = time.time()
        try:
            status = urllib.request.urlopen(url, timeout=10).status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError:
            status = 0
        f.write(f"{int(started * 1000)} {status} {int((time.time() - started) * 1000)}\n")
        f.flush()
        time.sleep(0.2)
PY
sleep 4
pg_stop
stopped_at="$(now_ms)"
sleep 10
restart_at="$(now_ms)"
pg_start || fail "PostgreSQL did not restart"
started_at="$(now_ms)"
wait "$LOAD" || fail "load client"
wait "$PROBE" || true
cat "$WORK/load-b.json"; echo
python3 - "$WORK/readyz.log" "$stopped_at" "$restart_at" "$started_at" "$WORK/load-b.json" <<'PY' || fail "outage behaviour"
import json, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
stopped, restart, started = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
load = json.load(open(sys.argv[5]))
# Probes sent and answered while PostgreSQL was down.
during = [r for r in rows if r[0] >= stopped and r[0] + r[2] <= restart]
assert during and all(r[1] == 503 for r in during), f"readyz during the outage: {sorted(set(r[1] for r in during))}"
slowest = max(r[2] for r in during)
detected = min(r[0] for r in rows if r[0] >= stopped and r[1] == 503) - stopped
recovered = min((r[0] for r in rows if r[0] >= started and r[1] == 200), default=None)
assert recovered is not None, "readyz never recovered"
print(f"outage: /readyz 503 {detected} ms after the stop, slowest readyz {slowest} ms, "
      f"ready again {recovered - started} ms after PostgreSQL was back")
errors = {k: v for k, v in load.items() if k.split("_")[-1].isdigit() and int(k.split("_")[-1]) >= 500 and not k.endswith("_503")}
assert not errors, f"5xx other than 503 during the outage: {errors}"
assert load.get("r_503", 0) > 0, "redirects did not answer 503 during the outage"
# A redirect waits for its own batch's connection; one that arrived while the previous batch
# was waiting may wait for both: at most two acquire timeouts (2 s each here).
assert load["max_ms"] <= 2 * 2000 + 1000, f"a request took {load['max_ms']} ms (acquire timeout 2 s)"
print(f"slowest request during the outage: {load['max_ms']} ms; 503s: "
      f"{sum(v for k, v in load.items() if k.endswith('_503'))}")
PY
answered="$(counter "$WORK/load-b.json" r_302)"
stored=$(($(sql "SELECT count(*) FROM clicks") - clicks0))
echo "redirects answered: $answered, clicks stored: $stored"
[ "$answered" = "$stored" ] || fail "clicks: answered $answered, stored $stored"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/me" -H "authorization: Bearer $ADMIN")" = 200 ] || fail "API after recovery"

# --- c. SMTP server down --------------------------------------------------------------------------
echo "==> faults c: SMTP server down"
kill "$SMTP_PID"; wait "$SMTP_PID" 2>/dev/null || true
before="$($OPS message-ids "$WORK/mail")"
for i in 1 2 3; do
  status="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/v1/invitations" \
    -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d "{\"email\": \"invitee-$i-$$@demo.chorus.test\"}")"
  [ "$status" = 201 ] || fail "invitation answered $status"
done
queued="$(sql "SELECT count(*) FROM outbox WHERE status <> 'sent'")"
sleep 3
retried="$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts > 0")"
echo "while down: $queued emails not sent, $retried of them retried"
[ "$queued" -gt 0 ] && [ "$retried" -gt 0 ] || fail "no failed attempt recorded while SMTP was down"
smtp_start
back_at="$(now_ms)"
outbox_drained 30
echo "delivered $(($(now_ms) - back_at)) ms after the SMTP server came back"
after="$($OPS message-ids "$WORK/mail")"
sent="$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")"
python3 -c 'import json,sys; b, m = json.loads(sys.argv[1]), json.loads(sys.argv[2]); assert m["unique"] == int(sys.argv[3]) and m["messages"] - m["unique"] == b["messages"] - b["unique"], (b, m, sys.argv[3])' "$before" "$after" "$sent" \
  || fail "emails after the SMTP outage: $before -> $after, outbox sent $sent"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

# --- d. read-only SQLite, disk full ---------------------------------------------------------------
echo "==> faults d: read-only SQLite and a full disk"
sqlite_env() { env -u CHORUS_DATABASE_URL CHORUS_MAIL__TRANSPORT=file CHORUS_MAIL__FILE_DIR="$WORK/sqlite-mail" CHORUS_DATA_DIR="$1" "${@:2}"; }
RO="$WORK/ro"
mkdir -p "$RO" "$WORK/sqlite-mail"
chmod 777 "$WORK/sqlite-mail"
sqlite_env "$RO" "$BIN" migrate up >/dev/null
if [ "$(id -u)" = 0 ]; then
  chmod 755 "$RO"; chmod 644 "$RO"/chorus.db*
  as_ro() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
else
  chmod a-w "$RO" "$RO"/chorus.db*
  as_ro() { "$@"; }
fi
set +e
sqlite_env "$RO" CHORUS_LISTEN="127.0.0.1:$PORT2" timeout 20 setsid bash -c "$(declare -f as_ro); as_ro \"$BIN\" serve" >"$WORK/readonly.log" 2>&1
code=$?
set -e
echo "read-only start: exit $code: $(grep -m1 -i 'sqlite' "$WORK/readonly.log")"
[ "$code" != 0 ] && [ "$code" != 124 ] || fail "a read-only database must stop the server at start (exit $code)"
grep -qi 'cannot write the SQLite database' "$WORK/readonly.log" || fail "no clear message for a read-only database"

FULL="$WORK/full"
mkdir -p "$FULL"
if mount -t tmpfs -o size=6m tmpfs "$FULL" 2>/dev/null; then
  MOUNTED="$FULL"
  sqlite_env "$FULL" "$BIN" create-admin --org Acme --email admin@acme.test --password correct-horse-battery >/dev/null
  # `env` execs the server, so $! is the server itself.
  env -u CHORUS_DATABASE_URL CHORUS_MAIL__TRANSPORT=file CHORUS_MAIL__FILE_DIR="$WORK/sqlite-mail" \
    CHORUS_DATA_DIR="$FULL" CHORUS_LISTEN="127.0.0.1:$PORT2" "$BIN" serve >"$WORK/full.log" 2>&1 &
  FULL_PID=$!
  PIDS+=("$FULL_PID")
  deadline=$((SECONDS + 20))
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT2/readyz"; do
    [ $SECONDS -lt $deadline ] || fail "SQLite server not ready"; sleep 0.1
  done
  FULL_BASE="http://127.0.0.1:$PORT2"
  python3 - "$FULL_BASE" "$FULL" <<'PY' || fail "disk full"
import json, os, sys, time
sys.path.insert(0, os.path.join(os.getcwd(), "scripts", "ops"))
from chorus_ops import Client
base, mount = sys.argv[1], sys.argv[2]
client = Client(base)
status, body = client.request("POST", "/api/v1/auth/login", {"email": "admin@acme.test", "password": "correct-horse-battery"})
token = json.loads(body)["access_token"]
def team(i):
    return client.request("POST", "/api/v1/teams", {"name": f"Team {i} " + "x" * 60}, token=token)
assert team(0)[0] == 201
with open(os.path.join(mount, "filler"), "wb") as f:
    try:
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    except OSError:
        pass
codes = []
for i in range(1, 400):
    status, body = team(i)
    if status != 201:
        codes.append((status, json.loads(body).get("code")))
        break
assert codes and codes[0] == (503, "storage_unavailable"), f"disk full answered {codes or 'only 201s'}"
assert client.request("GET", "/api/v1/teams", token=token)[0] == 200, "reads keep working"
os.remove(os.path.join(mount, "filler"))
freed = time.monotonic()
while team(1000)[0] != 201:
    assert time.monotonic() - freed < 10, "writes did not recover after space was freed"
    time.sleep(0.2)
print(f"disk full: 503 storage_unavailable; writes back {int((time.monotonic() - freed) * 1000)} ms after space was freed")
PY
  grep -q 'database storage failed: disk full' "$WORK/full.log" || fail "no clear log line for a full disk"
  kill "$FULL_PID"; wait "$FULL_PID" 2>/dev/null || true
  ! kill -0 "$FULL_PID" 2>/dev/null || fail "the SQLite server did not stop"
  check="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$FULL/chorus.db")"
  echo "integrity_check after the full disk: $check"
  [ "$check" = ok ] || fail "integrity_check: $check"
else
  echo "disk-full case skipped: this user cannot mount a tmpfs"
fi
check="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$RO/chorus.db")"
[ "$check" = ok ] || fail "integrity_check of the read-only database: $check"
echo "==> faults: passed in ${SECONDS} s"
