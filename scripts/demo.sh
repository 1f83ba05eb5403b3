#!/usr/bin/env bash
# Quick start, command one: install, build, and run the main job.
# For now that is the libhda demo on the emulated controller: a 3 s tone
# through a render engine into the emulated line-out's WAV file, checked
# bit for bit at the end.  Extra arguments go to hda-demo (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build >/dev/null
exec build/libhda/demo/hda-demo "$@"
