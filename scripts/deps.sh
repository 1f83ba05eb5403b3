#!/usr/bin/env bash
# Install the Debian packages hdastream needs to build and test.
# Idempotent: asks apt only for what is missing.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libsndfile1-dev libcmocka-dev
  qemu-system-x86
  libinih-dev libuv1-dev libsystemd-dev systemd
  libsamplerate0-dev libjson-c-dev libopus-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
