#!/usr/bin/env bash
# Builds cutover. Usage: scripts/build.sh [release|asan]  -> build/ or build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
case $kind in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  # -O1 -g1: sanitizer builds compile in half the time of -O2 -g and still inline enough.
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O1 -g1" -DCUTOVER_SANITIZE=address,undefined) ;;
  *) echo "scripts/build.sh: unknown build kind '$kind' (release or asan)" >&2; exit 2 ;;
esac
shift || true
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -- "$@"
