#!/usr/bin/env bash
# Runs every test: formatting and lints, the backend suites (each database test on SQLite and,
# when PostgreSQL is available, on PostgreSQL too), and the frontend's build, tests and size
# budget.
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

echo "==> frontend: install, type-check and build, unit tests, bundle budget"
scripts/frontend-deps.sh
(cd frontend && npm run build --silent && npm test --silent && npm run check-size --silent)
echo "==> all tests passed"
