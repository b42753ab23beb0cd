#!/usr/bin/env bash
# Installs what the test suite needs beyond the .NET SDK, on a Debian bookworm machine, and does
# nothing when it is already there (so scripts/test.sh can run it every time):
#   - python3-grpcio + python3-protobuf: the grpcio client and server of the interop tests (PyPI is
#     not reachable, so Debian's packages, used through /usr/bin/python3, not a pyenv python);
#   - protobuf-compiler + libprotobuf-dev: protoc and the well-known .proto files, from which the
#     python fixtures build their message classes at run time (Debian's python3-grpc-tools is far
#     older than its grpcio, so no generated python code);
#   - postgresql-15, when its initdb is missing: the storage tests start a throwaway cluster;
#   - beanstalkd: the load generator's beanstalkd client is tested against a real one
#     (benchmarks/compare-beanstalkd.sh compares Chronoq with it);
#   - nodejs + npm, only when npm is missing (the machine image has its own Node.js);
#   - the npm packages of tests/interop/node (@grpc/grpc-js, @grpc/proto-loader and a reflection
#     client), exactly as package-lock.json pins them.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_apt_packages() {
  local wanted=(python3-grpcio python3-protobuf protobuf-compiler libprotobuf-dev beanstalkd)
  if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    wanted+=(postgresql-15)
  fi
  if ! command -v npm >/dev/null 2>&1; then
    wanted+=(nodejs npm)
  fi
  local missing=()
  for package in "${wanted[@]}"; do
    is_installed "$package" || missing+=("$package")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-test-prereqs: apt packages present"
    return
  fi
  echo "install-test-prereqs: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists are only fetched when they are missing or too stale to know a package:
  # a fresh machine has none, and an update costs tens of seconds on every later run otherwise.
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
    as_root apt-get update -q
  fi
  if ! as_root apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    # The lists were present but outdated (a package version since removed from the mirror).
    as_root apt-get update -q
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

install_node_packages() {
  local dir="$repo_root/tests/interop/node"
  local stamp="$dir/node_modules/.chronoq-lock.sha256"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "install-test-prereqs: node packages present"
    return
  fi
  echo "install-test-prereqs: npm ci in tests/interop/node"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

install_apt_packages
install_node_packages
