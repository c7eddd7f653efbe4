#!/usr/bin/env bash
# Every test: installs what is missing, builds (Release, and ASan+UBSan for the unit
# tests), then runs the unit tests in both builds and the process-level suites (the
# official openai SDK against real processes on loopback). .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
scripts/install-deps.sh test

echo "== build (release)"
scripts/build.sh release
echo "== throwaway PostgreSQL on loopback (store tests run on SQLite and PostgreSQL)"
pgdir=$(mktemp -d)
trap 'scripts/postgres-test-server.sh stop "$pgdir"' EXIT
CUTOVER_TEST_POSTGRES_URL=$(scripts/postgres-test-server.sh start "$pgdir")
export CUTOVER_TEST_POSTGRES_URL

echo "== unit tests (release)"
ctest --test-dir build --output-on-failure -j2 --timeout 120

echo "== unit tests (address,undefined sanitizers)"
scripts/build.sh asan cutover_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  build-asan/cutover_tests --gtest_brief=1

echo "== process tests (node:test + openai SDK)"
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error &&
  CUTOVER_BIN="$PWD/../../build/cutover" npm test)

echo "== all tests passed in $((SECONDS - start)) s"
