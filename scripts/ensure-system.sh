#!/usr/bin/env bash
# Installs and starts what the test suite needs outside Python: Debian's Chromium, a running PostgreSQL, and Node
# 20+ with npm (tests install and run npm packages: the catalog client, and the OpenID provider of
# tests/support/oidc-idp, which tests/support/npm.py installs from its lock file on first use).
# Safe to run again: it only acts on what is missing. Needs root (or sudo) for apt-get and pg_ctlcluster.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== installing Debian's nodejs and npm"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node $(node --version) is too old: the OpenID provider of the tests (oidc-provider 9) needs Node 20 or later" >&2
  exit 1
fi
pg_url="${GREENROOM_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "== installing PostgreSQL"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  fi
  echo "== starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; }
echo "== system ready: $(chromium --version 2>/dev/null | head -n 1); Node $(node --version);" \
  "PostgreSQL at ${pg_url%%\?*}"
