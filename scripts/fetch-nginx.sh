#!/usr/bin/env bash
# Prints the path of Debian bookworm's nginx binary, fetched on first use with apt-get download
# and unpacked into a cache directory (CHORUS_CHECK_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/chorus/check-deploy) — never installed system-wide, never
# started as a service. Used by scripts/check-deploy.sh and scripts/scale-out.sh. Progress and
# errors go to stderr; the path alone to stdout.
set -euo pipefail
NGINX_VERSION="${NGINX_VERSION:-1.22.1}"
CACHE="${CHORUS_CHECK_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/chorus/check-deploy}"
mkdir -p "$CACHE"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/chorus-fetch-nginx.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

die() {
  echo "fetch-nginx: $*" >&2
  exit 1
}

quietly() {
  local log="$WORK/quietly.log"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    return 1
  fi
}

exec 8>"$CACHE/.nginx.lock"
if command -v flock >/dev/null 2>&1; then
  flock 8
fi

NGINX_DIR="$CACHE/nginx-$NGINX_VERSION"
NGINX="$NGINX_DIR/root/usr/sbin/nginx"
nginx_ok() {
  [ -x "$NGINX" ] && [ "$("$NGINX" -v 2>&1)" = "nginx version: nginx/$NGINX_VERSION" ]
}
if ! nginx_ok; then
  echo "fetch-nginx: fetching Debian's nginx $NGINX_VERSION into $NGINX_DIR (first run only)" >&2
  command -v apt-get >/dev/null 2>&1 || die "apt-get is required to fetch Debian's nginx package"
  deb_version() {
    apt-cache madison nginx 2>/dev/null | awk -v v="$NGINX_VERSION-" '$3 ~ "^"v && !found { print $3; found = 1 }'
  }
  version="$(deb_version)"
  fetched=""
  for attempt in 1 2; do
    if [ -n "$version" ]; then
      rm -rf "$WORK/debs" && mkdir -p "$WORK/debs"
      if (cd "$WORK/debs" && quietly apt-get download -q "nginx=$version" "nginx-common=$version"); then
        fetched=yes
        break
      fi
    fi
    [ "$attempt" = 2 ] && break
    # The package lists are missing or stale: refresh them (needs root).
    [ "$(id -u)" = 0 ] || die "Debian's nginx $NGINX_VERSION is not in apt's package lists; run 'apt-get update' as root"
    quietly apt-get update -q || die "apt-get update failed"
    version="$(deb_version)"
  done
  [ -n "$fetched" ] || die "could not download Debian's nginx $NGINX_VERSION (found: '${version:-none}')"
  rm -rf "$NGINX_DIR.new" && mkdir -p "$NGINX_DIR.new/root"
  for deb in "$WORK"/debs/*.deb; do
    dpkg-deb -x "$deb" "$NGINX_DIR.new/root"
  done
  rm -rf "$NGINX_DIR" && mv "$NGINX_DIR.new" "$NGINX_DIR"
  nginx_ok || { "$NGINX" -v || true; die "the unpacked nginx does not run (missing libraries?)"; }
fi

echo "$NGINX"
