#!/usr/bin/env bash
# Quick start, command one: install, build, and run the main job:
# hdastreamd in the foreground on the emulated controller with the default
# config, conf/hdastreamd.conf (a render stream `playback` into the
# emulator's line-out, looped back into a capture stream `loopback`).
# Extra arguments go to hdastreamd (see --help); Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build >/dev/null
exec build/daemon/hdastreamd --config conf/hdastreamd.conf "$@"
