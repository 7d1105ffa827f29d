#!/usr/bin/env bash
# Installs the browser the frontend's browser tests drive: Debian's Chromium (and its WebDriver,
# chromium-driver) from apt, only when /usr/bin/chromium is missing. Playwright's own browser
# downloads are never used. Non-interactive and bounded; runs as root or through passwordless sudo.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
PACKAGES=(chromium chromium-driver fonts-liberation)

if [ -x "$CHROMIUM" ]; then
  echo "install-browser: $CHROMIUM is present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: $CHROMIUM is missing and apt-get is not available; install Chromium at $CHROMIUM" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "install-browser: installing ${PACKAGES[*]} needs root (or passwordless sudo)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait a bounded time for another apt/dpkg run to release its lock instead of failing at once.
apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=120)

apt_update() {
  echo "install-browser: apt-get update"
  timeout 300 "${as_root[@]}" apt-get -q -o DPkg::Lock::Timeout=120 update
}

# Refresh the package lists only when they do not offer Chromium (a fresh machine has none).
if ! apt-cache show chromium >/dev/null 2>&1 || ! apt-cache show chromium-driver >/dev/null 2>&1; then
  apt_update
fi

echo "install-browser: apt-get install ${PACKAGES[*]}"
if ! timeout 600 "${as_root[@]}" apt-get install "${apt_opts[@]}" "${PACKAGES[@]}"; then
  # Stale lists can name versions the mirror no longer has: refresh once and retry.
  apt_update
  timeout 600 "${as_root[@]}" apt-get install "${apt_opts[@]}" "${PACKAGES[@]}"
fi

if [ ! -x "$CHROMIUM" ]; then
  echo "install-browser: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
