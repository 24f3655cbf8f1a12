#!/usr/bin/env bash
# Installs what the tests need from Debian's packages when it is missing:
# Chromium (browser tests), the PostgreSQL server (the domain tests run on it too) and
# nginx (the multi-process test runs the app behind deploy/nginx-stammtisch.conf).
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing test prerequisites from Debian: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Missing ${missing[*]} and no root rights: install them with apt-get and re-run." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
