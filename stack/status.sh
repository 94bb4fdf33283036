#!/usr/bin/env bash
# Reports each service of the local stack: up or down, its pid, ports, URL and log file.
# Exits 1 when any service is down, so scripts can use it as a check.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_pid() {
  local f=$STACK_DIR/postgres/data/postmaster.pid
  [[ -f $f ]] && head -n 1 "$f"
}

down=0
printf '%-9s %-5s %-8s %-22s %s\n' SERVICE STATE PID ADDRESS DETAILS
for name in "${SERVICES[@]}"; do
  port=$(service_port "$name")
  if [[ $name == postgres ]]; then pid=$(pg_pid || true); else pid=$(pid_of "$name" || true); fi
  case $name in
    postgres) details="postgres://$PG_USER:***@localhost:$PG_PORT/$PG_DATABASE" ;;
    temporal) details="UI http://localhost:$TEMPORAL_UI_PORT" ;;
    kafka) details="Kafka $KAFKA_VERSION (KRaft)" ;;
    seaweedfs) details="S3 http://localhost:$S3_PORT (SeaweedFS; filer UI http://localhost:$SEAWEEDFS_FILER_PORT)" ;;
  esac
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && port_open "$port"; then
    state=up
  else
    state=down pid=${pid:--} down=1 details="log: $LOG_DIR/$name.log"
  fi
  printf '%-9s %-5s %-8s %-22s %s\n' "$name" "$state" "$pid" "localhost:$port" "$details"
done
exit $down
