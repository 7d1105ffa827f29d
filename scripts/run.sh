#!/usr/bin/env bash
# Runs Chorus on this machine: builds the frontend and the server, migrates the embedded SQLite
# database (in ./data), seeds the demo organisation on first run, and serves on
# http://127.0.0.1:8080 (set CHORUS_LISTEN to change it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/frontend-deps.sh
(cd frontend && npm run build --silent)

cargo build --release --locked -p chorus --bin chorus

export CHORUS_DATA_DIR="${CHORUS_DATA_DIR:-./data}"
export CHORUS_FRONTEND_DIR="${CHORUS_FRONTEND_DIR:-frontend/dist}"
./target/release/chorus seed-demo --if-empty
echo "Sign-in links and other emails are written to ${CHORUS_DATA_DIR}/mail/ (file mail transport)."
exec ./target/release/chorus serve
