#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, brings the local stack up, then runs
# the type check, the linters and every test (unit, integration against the real services, and the
# browser tests in Debian's Chromium).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS

source scripts/node-env.sh
bash scripts/install-deps.sh
bash scripts/install-browser.sh
# CI leaves nothing running behind it; a developer keeps the stack for the next run.
if [[ ${CI:-} == true ]]; then trap 'bash stack/down.sh >/dev/null 2>&1 || true' EXIT; fi
# Only the last tests (test/docker/) need the docker compose plugin, which may have to be built (minutes):
# build it in the background at the lowest CPU priority, so that it takes only what the rest leaves.
mkdir -p .stack/logs
nice -n 19 bash stack/install.sh compose-plugin >.stack/logs/compose-plugin-install.log 2>&1 &
bash stack/up.sh

echo "== typecheck, lint, format"
npx tsc --noEmit
npx eslint --max-warnings=0 .
npx prettier --check . --log-level=warn

echo "== tests"
npm test --silent
echo "[test] all done in $((SECONDS - started))s"
