#!/usr/bin/env bash
# Builds every libFuzzer target (src/**/fuzz/*_fuzz.cpp) with clang in build-fuzz/
# (-DCUTOVER_FUZZ=ON: ASan + UBSan) and runs each for SECONDS (default 30) on a temporary copy
# of its seed corpus, so the seeds in the repository stay untouched. Crashing inputs are kept
# in build-fuzz/artifacts/; copy one into the target's corpus so that the unit tests replay
# it from then on.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 60 entry_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
case $seconds in '' | *[!0-9]*) echo "scripts/fuzz.sh: SECONDS must be a number, not '$seconds'" >&2; exit 2 ;; esac

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=None \
  "-DCMAKE_CXX_FLAGS=-O1 -g" -DCUTOVER_FUZZ=ON -DCUTOVER_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_targets
mkdir -p build-fuzz/artifacts

failed=()
while IFS= read -r src; do
  name=$(basename "$src" .cpp)
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  dir=$(dirname "$src")
  corpus=$dir/corpus/${name%_fuzz}  # one corpus per target, or the folder's only one
  [ -d "$corpus" ] || corpus=$dir/corpus
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -R "$corpus/." "$work/"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="build-fuzz/artifacts/$name-")
  dict=$dir/${name%_fuzz}.dict
  [ -f "$dict" ] && args+=(-dict="$dict")
  case $name in jwt_fuzz) args+=(-max_len=17000) ;; esac  # RS256 tokens are long
  echo "== $name: ${seconds}s on a copy of $corpus ($(ls "$corpus" | wc -l) seeds)"
  if ! "build-fuzz/$name" "${args[@]}" "$work" 2>"build-fuzz/$name.log"; then
    tail -n 40 "build-fuzz/$name.log"
    failed+=("$name")
  else
    grep -E "^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+.*DONE)" \
      "build-fuzz/$name.log" || true
  fi
  rm -rf "$work"
done < <(find src -path '*/fuzz/*_fuzz.cpp' | sort)

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (reproducers in build-fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a finding"
