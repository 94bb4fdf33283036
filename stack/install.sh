#!/usr/bin/env bash
# Installs the stack's programs, idempotently, from the package registries only:
# the Temporal CLI with `go install`, SeaweedFS (S3) with `go build`, Kafka's jars from Maven Central, PostgreSQL from Debian.
# What is built goes to $CACHE_DIR (~/.cache/pinpipe), outside the repository.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_updated=0
apt_install() {
  [[ $(id -u) == 0 ]] || die "missing $*; install it (sudo apt-get install $*) or run as root"
  if ((apt_updated == 0)); then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

timed() {
  local what=$1 started=$SECONDS
  shift
  log "building $what (first run on this machine only: $TYPICAL)"
  "$@" >"$CACHE_DIR/logs/$(echo "$what" | tr ' /' '__').log" 2>&1 ||
    die "building $what failed; see $CACHE_DIR/logs/"
  log "built $what in $((SECONDS - started))s"
}

require_go() {
  command -v go >/dev/null || die "Go >= 1.26.6 is required to build the Temporal CLI and SeaweedFS"
  local v
  v=$(go env GOVERSION | sed 's/^go//')
  [[ $(printf '1.26.6\n%s\n' "$v" | sort -V | head -n 1) == 1.26.6 ]] || die "Go >= 1.26.6 is required (found $v)"
}

go_install() { GOBIN=$BIN_DIR GOFLAGS=-trimpath go install "$1"; }

install_temporal() {
  local marker=$BIN_DIR/.temporal-$TEMPORAL_CLI_VERSION
  [[ -x $BIN_DIR/temporal && -f $marker ]] && return
  require_go
  TYPICAL="about 3-6 minutes on 2 cores" timed "Temporal CLI $TEMPORAL_CLI_VERSION" \
    go_install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  touch "$marker"
}

# `go install` refuses a module whose go.mod has a `replace` directive (SeaweedFS's has one), so the
# module is downloaded from the proxy and `weed` is built inside it, as its own main module.
build_seaweedfs() {
  local module=github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION
  (cd "$CACHE_DIR" && GOFLAGS=-mod=mod go mod download "$module")
  (cd "$(go env GOMODCACHE)/$module" && GOFLAGS='-mod=mod -trimpath' go build -o "$BIN_DIR/weed" ./weed)
}

install_seaweedfs() {
  local marker=$BIN_DIR/.seaweedfs-$SEAWEEDFS_VERSION
  [[ -x $BIN_DIR/weed && -f $marker ]] && return
  require_go
  TYPICAL="about 10-15 minutes on 2 cores" timed "SeaweedFS $SEAWEEDFS_VERSION" build_seaweedfs
  touch "$marker"
}

install_kafka() {
  [[ -f $KAFKA_HOME/.complete ]] && return
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  rm -rf "$KAFKA_HOME"
  TYPICAL="about 1 minute" timed "Kafka $KAFKA_VERSION jars" \
    mvn -B -q -f "$ROOT/stack/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs"
  touch "$KAFKA_HOME/.complete"
}

# `docker compose config` checks docker-compose.yml in the tests; the docker client here may come
# without its compose plugin, which builds from the Go module proxy like the services.
install_compose_plugin() {
  command -v docker >/dev/null || return 0
  docker compose version >/dev/null 2>&1 && return 0
  local plugin_dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
  if [[ ! -x $CACHE_DIR/compose-bin/cmd ]]; then
    require_go
    TYPICAL="about 3-5 minutes on 2 cores" timed "docker compose plugin $COMPOSE_VERSION" \
      env GOBIN="$CACHE_DIR/compose-bin" GOFLAGS=-trimpath go install "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION"
  fi
  mkdir -p "$plugin_dir"
  ln -sf "$CACHE_DIR/compose-bin/cmd" "$plugin_dir/docker-compose"
}

install_postgres() {
  [[ -n $(pg_bindir) ]] && return
  log "installing PostgreSQL from Debian's packages (about 1 minute)"
  apt_install postgresql
}

mkdir -p "$BIN_DIR" "$CACHE_DIR/logs"
install_postgres
install_kafka
# The Go builds are the slow part of a first run: build them side by side.
pids=()
for step in install_temporal install_seaweedfs install_compose_plugin; do
  $step &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || die "an install step failed (see above)"; done
