#!/usr/bin/env bash
# Runs SeaweedFS as the project's S3 in the foreground: one process holding a master, a volume server,
# a filer and the S3 gateway, on loopback only, with its data under DIR and the throwaway
# credentials of s3.json beside this file. The stack starts it with its fixed ports; the tests that
# stop and restart S3 start private ones on free ports.
#   usage: run.sh DIR S3_PORT MASTER_PORT VOLUME_PORT FILER_PORT
# Each server also listens on its port + 10000 (gRPC).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

(($# == 5)) || die "usage: $0 DIR S3_PORT MASTER_PORT VOLUME_PORT FILER_PORT"
dir=$1 s3=$2 master=$3 volume=$4 filer=$5
[[ -x $BIN_DIR/weed ]] || die "SeaweedFS is not built yet: run 'npm run stack:up' once"
mkdir -p "$dir"
exec "$BIN_DIR/weed" server -dir="$dir" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="$master" -master.volumeSizeLimitMB=1024 -master.telemetry=false \
  -volume.port="$volume" -volume.max=0 \
  -filer -filer.port="$filer" \
  -s3 -s3.port="$s3" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$ROOT/stack/seaweedfs/s3.json"
