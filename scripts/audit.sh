#!/usr/bin/env bash
# Dependency audit: Rust crates against deny.toml (licences, bans, sources, and RustSec
# advisories) with cargo-deny, and the frontend's production dependencies with `npm audit`.
#
# Licences, bans and sources are checked from Cargo.lock and the local registry cache, offline.
# Advisories need the RustSec database (github.com) and npm's audit service; where they cannot
# be reached, those two checks are reported as NOT RUN — and fail the script when
# CHORUS_AUDIT_REQUIRED=1 (set it wherever the network is available, e.g. a public CI).
#
# cargo-deny is installed at a pinned version (cargo install --locked) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DENY_VERSION=0.20.2
required="${CHORUS_AUDIT_REQUIRED:-0}"
not_run=()

if ! cargo deny --version 2>/dev/null | grep -q " $DENY_VERSION"; then
  echo "==> installing cargo-deny $DENY_VERSION"
  cargo install --locked "cargo-deny@$DENY_VERSION"
fi

echo "==> cargo deny: licences, bans, sources"
cargo deny --locked check --hide-inclusion-graph bans licenses sources

echo "==> cargo deny: RustSec advisories"
if timeout 10 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
  cargo deny --locked check --hide-inclusion-graph advisories
else
  echo "    NOT RUN: the RustSec advisory database (github.com) cannot be reached from here"
  not_run+=("cargo deny advisories")
fi

echo "==> npm audit (production dependencies, high and critical)"
if [ ! -d frontend/node_modules ]; then
  scripts/frontend-deps.sh
fi
set +e
audit_output="$(cd frontend && npm audit --omit=dev --audit-level=high 2>&1)"
audit_status=$?
set -e
if [ "$audit_status" -eq 0 ]; then
  echo "$audit_output" | tail -3
elif echo "$audit_output" | grep -qE 'audit endpoint returned an error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT'; then
  echo "    NOT RUN: npm's audit service cannot be reached from here"
  echo "$audit_output" | grep -E 'npm (warn|error) audit' | head -2 | sed 's/^/    /'
  not_run+=("npm audit")
else
  echo "$audit_output"
  exit 1
fi

if [ "${#not_run[@]}" -gt 0 ]; then
  echo "==> audit incomplete: ${not_run[*]} could not run (no network access to the databases)"
  if [ "$required" = 1 ]; then
    exit 1
  fi
else
  echo "==> audit passed"
fi
