#!/usr/bin/env bash
# Makes sure the system programs the test suite drives are installed: Debian's `chromium` (the
# browser tests run the web app in it through playwright-core; no browser download) and
# `redis-server` (the @converge/redis and cluster tests start a private one). Installs a
# missing package with apt-get when running as root, else stops naming the package to install.
# Usage: scripts/system-deps.sh   (./run test calls it)
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || [ -x "${CONVERGE_CHROMIUM:-/nonexistent}" ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || [ -x "${CONVERGE_REDIS_SERVER:-/nonexistent}" ] || need+=(redis-server)

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[run] installing Debian packages the tests need: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi

echo "[run] the test suite needs the Debian package(s): ${need[*]}" >&2
echo "[run] install them (as root: apt-get install ${need[*]}) and run again; no test is skipped." >&2
exit 1
