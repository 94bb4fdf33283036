#!/usr/bin/env bash
# The one command that runs the pipeline: installs what is missing, brings the local stack up, then
# hands over to scripts/demo.ts (setup, worker, API and dashboard, streams, emulator, one batch day)
# until Ctrl-C. The stack keeps running afterwards (`npm run stack:down` stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PINPIPE_DEMO_STARTED_MS=${PINPIPE_DEMO_STARTED_MS:-$(date +%s%3N)}
source scripts/node-env.sh
bash scripts/install-deps.sh
bash stack/up.sh
# node itself, not npx: Ctrl-C then reaches the orchestrator, which stops its children in order.
exec node --import tsx scripts/demo.ts
