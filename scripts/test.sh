#!/usr/bin/env bash
# Quick start, command two: install, build, and run the whole test suite
# three times: plainly, under AddressSanitizer + UndefinedBehaviorSanitizer,
# and under ThreadSanitizer (libhda has a control thread, lock-free audio
# reads, an interrupt thread and a verb thread; the emulator a device thread).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

rc=0
scripts/build.sh build
meson test -C build --print-errorlogs || rc=1

scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
  -Dbuildtype=debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs || rc=1

scripts/build.sh build-tsan -Db_sanitize=thread -Dbuildtype=debug
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  meson test -C build-tsan --print-errorlogs || rc=1

scripts/test-summary.py build build-asan build-tsan || rc=1
exit $rc
