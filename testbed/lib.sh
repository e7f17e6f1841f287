# shellcheck shell=bash
# Shared helpers for the testbed scripts. Sourced, not run; the sourcing script sets $here
# (the testbed directory).

# Where built binaries and running state live: outside the checkout.
TESTBED_CACHE=${KSFLUX_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ksflux-testbed}
TESTBED_BIN=$TESTBED_CACHE/bin
# The running testbed's state directory (pids, logs, kubeconfigs, PKI, data, testbed.json).
# shellcheck disable=SC2034 # used by the scripts that source this
STATE=${KSFLUX_TESTBED_DIR:-$TESTBED_CACHE/run}
export TESTBED_CACHE TESTBED_BIN
export GOFLAGS=${GOFLAGS:--buildvcs=false}

log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# tool_key NAME: a hash of the tool module's inputs and the Go version.
tool_key() {
  # shellcheck disable=SC2154 # set by the sourcing script
  local dir=$here/tools/$1
  { go version; find "$dir" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 |
      sort -z | xargs -0 sha256sum | sed "s|$dir/||"; } | sha256sum | cut -c1-16
}

# tool_target NAME: the package a Flux tool module builds (the one its tools.go imports).
tool_target() {
  sed -n 's/^import _ "\(.*\)"$/\1/p' "$here/tools/$1/tools.go"
}

# stop_processes DIR: stops every process whose pid file is in DIR/pids (each was started in
# its own session, so its pid is also its process group: children such as git go too).
# TERM first, KILL after a grace period. Prints how many were running.
stop_processes() {
  local dir=$1 f pid pids=()
  for f in "$dir"/pids/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  local deadline=$(($(date +%s) + 15))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  # Members of a process group can outlive its leader for a moment.
  for pid in "${pids[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  echo "${#pids[@]}"
}
