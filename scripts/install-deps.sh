#!/usr/bin/env bash
# Installs package-lock.json's exact tree, with patches/ applied (patch-package, the postinstall script),
# when node_modules does not match them (so re-runs skip it), plus Node's version check. Run after
# scripts/node-env.sh, which makes `node` a Node.js 24.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
((major >= 24)) || { echo "Node.js >= 24 is required (found $(node -v 2>/dev/null || echo none)); source scripts/node-env.sh" >&2; exit 1; }

stamp=node_modules/.pinpipe-lock.sha256
want=$(cat package-lock.json patches/* | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "[deps] node_modules up to date"
else
  # Not `npm ci`: the registries this project installs from (see README) carry no darwin/win32 builds of
  # @swc/core and unrs-resolver, so the lock cannot list them and `npm ci` refuses it as out of sync.
  # `npm install --no-save` installs the same locked versions and leaves package-lock.json untouched.
  echo "[deps] npm install (locked versions; usually about 1 min on a new machine)"
  npm install --no-save --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
