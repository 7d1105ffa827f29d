#!/usr/bin/env bash
# Installs the frontend's pinned npm packages when they are missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
