#!/usr/bin/env bash
# Configure (once) and build one build directory.
#   scripts/build.sh DIR [meson setup options...]
# In CI (CI=true) warnings are errors.
set -euo pipefail
dir=$1; shift
opts=("$@")
if [ "${CI:-}" = "true" ]; then
  opts+=(-Dwerror=true)
fi
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "${opts[@]}"
else
  meson configure "$dir" "${opts[@]}" >/dev/null 2>&1 || true
fi
ninja -C "$dir"
