# Shared helpers for the testbed scripts. Sourced, not run.

# Where built binaries and running state live: outside the checkout.
TESTBED_CACHE=${KSFLUX_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ksflux-testbed}
TESTBED_BIN=$TESTBED_CACHE/bin
export TESTBED_CACHE TESTBED_BIN
export GOFLAGS=${GOFLAGS:--buildvcs=false}

log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# tool_key NAME: a hash of the tool module's inputs and the Go version.
tool_key() {
  local dir=$here/tools/$1
  { go version; find "$dir" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 |
      sort -z | xargs -0 sha256sum | sed "s|$dir/||"; } | sha256sum | cut -c1-16
}

# tool_target NAME: the package a Flux tool module builds (the one its tools.go imports).
tool_target() {
  sed -n 's/^import _ "\(.*\)"$/\1/p' "$here/tools/$1/tools.go"
}
