#!/usr/bin/env bash
# Stops the local stack's services. Their data stays under .stack/ for the next `stack:up`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_daemon() {
  local name=$1 pid
  pid=$(pid_of "$name") || {
    rm -f "$RUN_DIR/$name.pid"
    return 0
  }
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN_DIR/$name.pid"
}

for name in temporal seaweedfs kafka; do stop_daemon "$name"; done

# The real folder: as root the server's user may not be allowed through .stack (see pg_home).
data=$(readlink -f "$STACK_DIR/postgres" 2>/dev/null || echo "$STACK_DIR/postgres")/data
if [[ -f $data/postmaster.pid ]]; then
  log "stopping postgres"
  as_pg_owner "$(pg_bindir)/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
fi
log "stack down (data kept in $STACK_DIR)"
