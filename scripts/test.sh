#!/usr/bin/env bash
# Runs every test: formatting and lints, the backend suites (each database test on SQLite and,
# when PostgreSQL is available, on PostgreSQL too), the frontend's API-type drift check, build,
# unit tests and size budget, the browser journeys in headless Chromium, the deploy/ checks, and
# (with PostgreSQL) the scale-out and fault tests (scripts/scale-out.sh, scripts/faults.sh).
#
# PostgreSQL: set CHORUS_TEST_POSTGRES_URL (a database the tests may create databases from).
# When it is unset and a server answers on 127.0.0.1:5432, postgres://postgres@127.0.0.1:5432/test
# is used.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHORUS_TEST_POSTGRES_URL:-}" ] && timeout 2 bash -c '</dev/tcp/127.0.0.1/5432' 2>/dev/null; then
  export CHORUS_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -n "${CHORUS_TEST_POSTGRES_URL:-}" ]; then
  echo "==> database suites: SQLite and PostgreSQL (${CHORUS_TEST_POSTGRES_URL})"
else
  echo "==> database suites: SQLite only (set CHORUS_TEST_POSTGRES_URL to add PostgreSQL)"
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> building the chorus binary (CLI tests run it)"
cargo build --locked -p chorus --bin chorus
echo "==> backend tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
echo "==> API schema fuzzing (Schemathesis; bounded by CHORUS_FUZZ_TIME)"
scripts/fuzz-api.sh
echo "==> dependency audit"
scripts/audit.sh

echo "==> frontend: install, API types match the server, type-check and build, unit tests, bundle budget"
scripts/frontend-deps.sh
(cd frontend && CHORUS_BIN="$PWD/../target/debug/chorus" npm run check:api --silent && npm run build --silent && npm test --silent && npm run check-size --silent)

echo "==> browser journeys"
scripts/test-browser.sh

echo "==> deploy/ checks"
scripts/check-deploy.sh

if [ -n "${CHORUS_TEST_POSTGRES_URL:-}" ]; then
  echo "==> scale-out: three servers behind nginx on one PostgreSQL"
  CHORUS_BIN="$PWD/target/debug/chorus" scripts/scale-out.sh
  echo "==> fault tests: killed server, PostgreSQL outage, SMTP outage, read-only SQLite"
  CHORUS_BIN="$PWD/target/debug/chorus" scripts/faults.sh
else
  echo "==> scale-out and fault tests skipped (they need PostgreSQL)"
fi
echo "==> all tests passed"
