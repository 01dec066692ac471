#!/usr/bin/env bash
# Installs the Debian packages leaktrace needs to build, test and demo.
# As root: installs whatever is missing (apt-get, non-interactive).
# Otherwise: prints the exact apt-get command to run and exits 1.
# Used by scripts/demo.sh, scripts/test.sh and .ci/run.
set -euo pipefail

packages=(
  # build
  cmake make gcc g++ libc6-dev pkg-config
  libunwind-dev uthash-dev zlib1g-dev libdw-dev libelf-dev
  # reading profiles (go tool pprof)
  golang-go
  # tests: helpers and the real programs run under the tracer
  python3 perl git sqlite3 procps strace file binutils coreutils curl protobuf-compiler
  # tests: other preloads beside the tracer (t_faketime, t_heap_foreign_allocator)
  libfaketime libjemalloc2 libtcmalloc-minimal4 libgoogle-perftools4
  # tests: real services (tests/t_svc_*.sh start them on 127.0.0.1 themselves)
  nginx wrk redis-server redis-tools postgresql postgresql-contrib util-linux
)

if ! command -v dpkg-query >/dev/null; then
  echo "install-deps: not a Debian system; make sure these (or their equivalents) are installed:" >&2
  echo "  ${packages[*]}" >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  # ${db:Status-Status} is "installed" only for a fully installed package.
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
((${#missing[@]})) || exit 0

if ((EUID != 0)); then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: install them as root, then run this again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -y -q -o Dpkg::Use-Pty=0 "$@" </dev/null; }
# A fresh machine has no package lists: update first, then install.
apt_get update
apt_get install --no-install-recommends "${missing[@]}"
