#!/usr/bin/env bash
# Installs what building and testing Cutover needs, from Debian 12's packages only.
# Usage: scripts/install-deps.sh [build|test]   (test adds what the test suites need)
set -euo pipefail
what=${1:-build}

build_pkgs=(g++ cmake ninja-build ccache pkg-config libboost1.81-dev libboost-json1.81-dev
            libssl-dev libyaml-cpp-dev libcli11-dev libsqlite3-dev libpq-dev)
# postgresql: a throwaway server for the store tests (scripts/postgres-test-server.sh).
test_pkgs=(libgtest-dev googletest wrk nginx-light openssl curl postgresql)
pkgs=("${build_pkgs[@]}")
[[ $what == test ]] && pkgs+=("${test_pkgs[@]}")
command -v node >/dev/null 2>&1 || { [[ $what == test ]] && pkgs+=(nodejs npm); }

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "cutover: installing ${missing[*]}" >&2
  SUDO=; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  # nginx's package starts a server on port 80 on install; the project never uses it.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
