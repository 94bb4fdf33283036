#!/usr/bin/env bash
# `npm ci` when node_modules does not match package-lock.json (so re-runs skip it), plus Node's version check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
((major >= 20)) || { echo "Node.js >= 20 is required (found $(node -v 2>/dev/null || echo none))" >&2; exit 1; }

stamp=node_modules/.pinpipe-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "[deps] node_modules up to date"
else
  echo "[deps] npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
