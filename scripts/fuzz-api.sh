#!/usr/bin/env bash
# Schema-driven fuzzing of the HTTP API with Schemathesis.
#
# Starts a real `chorus serve` on 127.0.0.1 with a fresh SQLite data directory and the demo
# organisation, signs in as each role, and runs Schemathesis against /api/openapi.json for every
# operation, once per caller (administrator, manager, editor, employee, anonymous). Checks: no 5xx,
# responses match their documented schema, status codes and content types.
#
# Schemathesis and its dependencies are pinned in scripts/fuzz/requirements.txt and installed
# into .venv-fuzz/ (git-ignored) on first use.
#
# Bounds (environment):
#   CHORUS_FUZZ_EXAMPLES  test cases per operation and caller in the fuzzing phase (default 8)
#   CHORUS_FUZZ_TIME      seconds allowed for the whole run before it fails (default 420;
#                         about 4.5 minutes are used on two cores)
#   CHORUS_FUZZ_ROLES     callers to run as (default "admin manager editor employee anonymous")
#   CHORUS_FUZZ_PHASES    Schemathesis phases (default "examples,coverage,fuzzing"; add
#                         "stateful" to chain operations through the links it infers)
# Longer run: CHORUS_FUZZ_EXAMPLES=200 CHORUS_FUZZ_TIME=3600 scripts/fuzz-api.sh
# Reports (JUnit, NDJSON) land in fuzz-report/.
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${CHORUS_FUZZ_EXAMPLES:-8}"
budget="${CHORUS_FUZZ_TIME:-420}"
roles="${CHORUS_FUZZ_ROLES:-admin manager editor employee anonymous}"
phases="${CHORUS_FUZZ_PHASES:-examples,coverage,fuzzing}"
venv=.venv-fuzz
requirements=scripts/fuzz/requirements.txt

if ! cmp -s "$requirements" "$venv/installed-requirements.txt" 2>/dev/null; then
  echo "==> installing Schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  cp "$requirements" "$venv/installed-requirements.txt"
fi

cargo build --locked -p chorus --bin chorus
bin="$PWD/target/debug/chorus"
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export CHORUS_DATA_DIR="$data" CHORUS_LISTEN="127.0.0.1:$port" CHORUS_FRONTEND_DIR="$data/none" \
  CHORUS_DATABASE_URL="" CHORUS_MAIL__TRANSPORT=file CHORUS_LOG_LEVEL=warn \
  CHORUS_AUTH__LOGIN_PER_CLIENT_PER_MINUTE=100000 CHORUS_AUTH__LOGIN_PER_ACCOUNT_PER_MINUTE=100000 \
  CHORUS_LIMITS__WRITES_PER_CLIENT_PER_MINUTE=1000000 CHORUS_LIMITS__WRITES_PER_ACCOUNT_PER_MINUTE=1000000

server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

echo "==> seeding the demo organisation"
"$bin" seed-demo >"$data/seed.log"
"$bin" serve >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null

token() {
  curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1@demo.chorus.test\",\"password\":\"chorus-demo-password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

operations="$(curl -fsS "$base/api/openapi.json" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print(sum(1 for item in doc["paths"].values() for m in item if m in ("get", "put", "post", "patch", "delete")))')"
echo "==> fuzzing $operations operations as: $roles ($examples examples each, ${budget}s budget)"

rm -rf fuzz-report
mkdir -p fuzz-report
deadline=$((SECONDS + budget))
failed=0
for role in $roles; do
  left=$((deadline - SECONDS))
  if [ "$left" -le 0 ]; then
    echo "time budget of ${budget}s spent before fuzzing as $role" >&2
    exit 1
  fi
  auth=()
  if [ "$role" != anonymous ]; then
    auth=(-H "Authorization: Bearer $(token "$role")")
  fi
  echo "==> as $role"
  # Password changes, logout and session endpoints would end the caller's own session midway;
  # they are fuzzed anonymously, where they answer without a session.
  exclude=()
  if [ "$role" != anonymous ]; then
    exclude=(--exclude-path /api/v1/me/password --exclude-path /api/v1/auth/logout)
  fi
  if ! timeout "$left" "$venv/bin/schemathesis" run "$base/api/openapi.json" \
    "${auth[@]}" "${exclude[@]}" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --phases "$phases" \
    --max-examples "$examples" --workers 1 --seed 1 --no-shrink \
    --suppress-health-check all --request-timeout 10 --warnings off \
    --report junit,ndjson --report-junit-path "fuzz-report/$role.xml" \
    --report-ndjson-path "fuzz-report/$role.ndjson"; then
    echo "fuzzing as $role failed (or ran past the ${budget}s budget)" >&2
    failed=1
  fi
done
python3 - <<'EOF'
import glob, json
cases = 0
for path in glob.glob("fuzz-report/*.ndjson"):
    for line in open(path):
        event = json.loads(line)
        for key in ("ScenarioFinished",):
            if key in event:
                cases += len(event[key].get("recorder", {}).get("cases", {}))
print(f"==> test cases run: {cases}")
EOF
if grep -q ' 5[0-9][0-9] ' "$data/server.log" 2>/dev/null || grep -qi 'panicked' "$data/server.log"; then
  echo "server log shows errors:" >&2
  grep -i ' 5[0-9][0-9] \|panicked' "$data/server.log" | head -20 >&2
  failed=1
fi
exit "$failed"
