#!/usr/bin/env bash
# Browser tests of the frontend against a real server (frontend/e2e/; frontend/README.md, "Browser tests"):
# installs Chromium when missing, installs the frontend's npm packages when missing or stale,
# builds the frontend, builds the server binary when it is missing, then runs the journeys in
# headless Chromium with axe-core checks. Screenshots and axe results: frontend/e2e/artifacts/.
#
# Non-interactive and bounded (CI=true, no input): every step has a deadline, and the tests
# themselves must finish within CHORUS_E2E_TIMEOUT seconds (default 300).
#
# CHORUS_BIN overrides the server binary (default target/debug/chorus). An existing binary is
# used as it is: after changing Rust code, rebuild it (cargo build --locked -p chorus --bin chorus).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHORUS_BIN="${CHORUS_BIN:-$root/target/debug/chorus}"
case "$CHORUS_BIN" in /*) ;; *) CHORUS_BIN="$root/$CHORUS_BIN" ;; esac

echo "==> browser: Chromium"
scripts/install-browser.sh

echo "==> browser: frontend packages"
command -v node >/dev/null 2>&1 || { echo "test-browser: node (>= 20.19) is required" >&2; exit 1; }
timeout 300 scripts/frontend-deps.sh

echo "==> browser: building the frontend"
(cd frontend && timeout 300 npm run build --silent)

if [ ! -x "$CHORUS_BIN" ]; then
  if [ "$CHORUS_BIN" != "$root/target/debug/chorus" ]; then
    echo "test-browser: CHORUS_BIN=$CHORUS_BIN does not exist" >&2
    exit 1
  fi
  echo "==> browser: building the server ($CHORUS_BIN is missing)"
  timeout 3600 cargo build --locked -p chorus --bin chorus
fi

echo "==> browser: running the journeys (server: $CHORUS_BIN)"
artifacts="$root/frontend/e2e/artifacts"
rm -rf "$artifacts"
mkdir -p "$artifacts"
log="$artifacts/test-output.txt"
status=0
(cd frontend && timeout --kill-after=15 "${CHORUS_E2E_TIMEOUT:-300}" npm run --silent test:e2e) 2>&1 | tee "$log" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "test-browser: the browser tests did not finish within ${CHORUS_E2E_TIMEOUT:-300} s" >&2
fi

count() { sed -n "s/^ℹ $1 \([0-9][0-9]*\)\$/\1/p" "$log" | tail -n 1; }
passed=$(count pass)
failed=$(count fail)
elapsed=$(($(date +%s) - started))
# shellcheck disable=SC2016 # the ${…} below are JavaScript, not shell
axe=$(node -e '
  const fs = require("fs"), path = require("path");
  const dir = path.join(process.argv[1], "axe");
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
  let blocking = 0, other = 0;
  for (const f of files) {
    for (const v of JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).violations) {
      if (v.impact === "serious" || v.impact === "critical") blocking++; else other++;
    }
  }
  console.log(`${files.length} page states checked with axe-core, ${blocking} serious/critical and ${other} minor/moderate violations`);
' "$artifacts")

echo "==> browser: ${elapsed} s; ${axe}; screenshots in frontend/e2e/artifacts/"
# The manager dashboard's render time with demo data (e2e/advocacy.test.mjs): a figure to read,
# not a pass/fail threshold.
if [ -f "$artifacts/dashboard-render.txt" ]; then
  echo "==> browser: $(cat "$artifacts/dashboard-render.txt")"
fi
if [ -z "$passed" ] || [ -z "$failed" ]; then
  echo "browser: the test runner did not report results (exit status $status)" >&2
  exit $((status == 0 ? 1 : status))
fi
echo "browser: ${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit $((status == 0 ? 1 : status))
fi
