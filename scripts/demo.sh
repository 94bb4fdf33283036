#!/usr/bin/env bash
# The one command that runs the pipeline: installs what is missing, brings the local stack up and
# runs a pipeline worker in the foreground until Ctrl-C. The stack keeps running afterwards
# (`npm run stack:down` stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
bash stack/up.sh
cat <<'URLS'

  Temporal UI    http://localhost:8233
  MinIO console  http://localhost:9001   (minioadmin / minioadmin)
  PostgreSQL     postgres://pinpipe:pinpipe@localhost:5432/pinpipe
  Kafka          localhost:9092

Starting a pipeline worker (Ctrl-C stops it; `npm run stack:down` stops the services).
URLS
exec npx tsx workers/main.ts
