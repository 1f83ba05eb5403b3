#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The CLI against the real daemon: hdastreamd on the emulator with the
# default config (on a free port), and build/proto/cli/hdastream as its
# client.  One case per run (meson registers each):
#   loopback   record loopback while playing a noise file into playback:
#              the recording holds it bit-exact after a loopback offset
#              that is measured (searched), bounded and printed; status
#              and status --json, taken while both run, show both streams
#              with sane fields, and once both are done show them idle
#              (status opens no engine)
#   resample   a 44100 Hz tone played into the 48000 Hz stream plays out,
#              and the recording holds a tone of that frequency and energy
#   channels   a 3-channel file is refused with a clear message, exit 65
# Every wait is bounded (timeout, or a polled condition with a deadline),
# each run has its own temp dir, and the trap kills whatever it started
# (KEEP=1 keeps the temp dir, for a look at the files).
set -euo pipefail

case=${1:?usage: test_e2e_cli.sh loopback|resample|channels}
: "${HDASTREAMD:?}" "${HDASTREAM:?}" "${SRCDIR:?}"
wav() { python3 "$SRCDIR/tests/daemon/e2e_cli_wav.py" "$@"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e-cli.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

fail() {
  echo "FAIL ($case): $*" >&2
  for f in d.err rec.err play.err; do
    [ -s "$f" ] && sed "s/^/$f: /" "$f" >&2
  done
  exit 1
}

# until SECONDS CMD...: run CMD every 50 ms until it succeeds, or fail.
until_ok() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000)); shift
  until "$@"; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# ---- The daemon ----------------------------------------------------------
# At debug level the daemon logs each render underrun, which the
# bit-exact check below needs to tell a loaded machine from a bug.
sed -e 's/^listen = .*/listen = 127.0.0.1:0/' -e 's/^log_level = .*/log_level = debug/' \
  "$SRCDIR/conf/hdastreamd.conf" >d.conf
grep -q '^log_level = debug' d.conf || echo 'log_level = debug' >>d.conf
"$HDASTREAMD" --config d.conf 2>d.err &
dpid=$!
pids+=("$dpid")
port_of() { sed -n 's/^<5>serving on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' d.err | head -n1; }
daemon_up() { kill -0 "$dpid" 2>/dev/null || fail "hdastreamd exited"; [ -n "$(port_of)" ]; }
until_ok 20 daemon_up || fail "hdastreamd did not say where it serves"
srv=127.0.0.1:$(port_of)
hds() { timeout 30 "$HDASTREAM" "$@" --server "$srv"; }

# The status JSON, and one test of it in Python (EXPR on `d`, the object).
status_json() { hds status --json >"$1" 2>status.err; }
json_true() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }
S='{s["name"]: s for s in d["streams"]}'
listening() { status_json st.json && json_true st.json "$S['loopback']['clients']['listeners'] >= 1 and $S['loopback']['state'] == 'running'"; }

stop_daemon() {
  kill -TERM "$dpid"
  local rc=0
  timeout 10 tail --pid="$dpid" -f /dev/null || fail "hdastreamd did not stop on SIGTERM"
  wait "$dpid" || rc=$?
  [ "$rc" -eq 0 ] || fail "hdastreamd exited $rc on SIGTERM"
}

# record the loopback for SECONDS in the background, once it listens.
start_record() {
  timeout 60 "$HDASTREAM" record --stream loopback out.wav --duration "$1" \
    --server "$srv" >rec.out 2>rec.err &
  rpid=$!
  pids+=("$rpid")
  until_ok 20 listening || fail "record did not start listening: $(cat status.err)"
}

wait_record() {
  local rc=0
  wait "$rpid" || rc=$?
  [ "$rc" -eq 0 ] || fail "record exited $rc"
}

case $case in
loopback)
  rate=48000
  frames=$((2 * rate)) # 2 s: long enough to be seen running by status
  # No silent lead: the capture runs before the render starts, and the
  # loopback must hold the render's very first frames (emu_codec_step_end).
  wav gen-noise in.wav "$rate" 2 "$frames"
  start_record 6
  timeout 60 "$HDASTREAM" play in.wav --server "$srv" >play.out 2>play.err &
  ppid_=$!
  pids+=("$ppid_")
  playing() { status_json st.json && json_true st.json "$S['playback']['clients']['owner'] and $S['playback']['state'] == 'running'"; }
  until_ok 20 playing || fail "status never showed playback running with its owner"
  # Both streams run now: the table and the JSON, from the same daemon.
  hds status >status.txt 2>status.err || fail "status: $(cat status.err)"
  status_json both.json || fail "status --json: $(cat status.err)"
  python3 -m json.tool both.json >/dev/null || fail "status --json is not JSON"
  grep -qE '^playback +render +running +48000Hz 16/16 2ch +20\.000ms +[0-9]+ +[0-9]+ +256 owner' status.txt ||
    fail "status: no running playback line: $(cat status.txt)"
  # 19.667 ms, adjusted (*): a capture's latency is whole granules
  # (docs/LATENCY.md)
  grep -qE '^loopback +capture +running +48000Hz 16/16 2ch +19\.667ms\* +[0-9]+ +[0-9]+ +256 1 listener' status.txt ||
    fail "status: no running loopback line: $(cat status.txt)"
  grep -qE '^server 127\.0\.0\.1:[0-9]+: hdastreamd [0-9.]+, protocol version 1' status.txt ||
    fail "status: no server line: $(cat status.txt)"
  sane="d['server_name'].startswith('hdastreamd ') and d['clients'] >= 3 and d['max_clients'] == 16
    and d['uptime_ms'] > 0 and len(d['streams']) == 2 and all(
      s['engine_open'] and s['state'] == 'running' and s['format'] == {'rate': 48000, 'bits': 16, 'container': 16, 'channels': 2}
      and s['fifo_bytes'] == 256
      and s['buffer_bytes'] > 0 and 0 < s['period_frames'] * 4 <= s['buffer_bytes']
      and s['position'] is not None and s['position']['link_frames'] > 0 and s['position']['mono_ns'] > 0
      and s['position']['real_ns'] > 1600000000 * 10**9 and s['position']['wall_ticks'] > 0
      and s['counters']['frames'] > 0 for s in d['streams'])
    and $S['playback']['latency_frames'] == 960 and $S['playback']['latency_us'] == 20000
    and $S['loopback']['latency_frames'] == 944 and $S['loopback']['latency_us'] == 19667
    and $S['playback']['position']['dma_frames'] >= $S['playback']['position']['link_frames']
    and $S['loopback']['position']['dma_frames'] <= $S['loopback']['position']['link_frames']
    and $S['loopback']['counters']['underruns'] == 0 and $S['playback']['counters']['overruns'] == 0"
  json_true both.json "$sane" || fail "status --json fields: $(cat both.json)"
  rc=0
  wait "$ppid_" || rc=$?
  [ "$rc" -eq 0 ] || fail "play exited $rc"
  grep -q "^hdastream: played in.wav: $frames frames (2.000 s) into stream playback at 48000 Hz" play.out ||
    fail "play did not say it played out: $(cat play.out)"
  wait_record
  # Played at 48 kHz into 48 kHz: bit-exact after the loopback offset
  # (record started first; the offset is when play came, bounded by the
  # recording's length less the signal).
  if ! off=$(wav find in.wav out.wav $((6 * rate - frames))); then
    # On a machine loaded enough that the daemon played silence for a
    # late client or lost capture audio, it said so; bit-exactness can
    # then not be asked for (issue 7: underruns on a busy machine are
    # counted, not failed on).  Without such a word it is a bug.
    losses=$(grep -E 'underrun|frames lost for every listener' d.err || true)
    [ -n "$losses" ] || fail "the recording: $off"
    echo "SKIP: the machine was too loaded for a bit-exact loopback: $losses"
    exit 77
  fi
  echo "loopback offset: $off frames ($(python3 -c "print('%.3f' % ($off / $rate))") s after the recording began)"
  # Done: both idle again, no engine open, and asking changes nothing.
  for i in 1 2; do
    until_ok 10 eval 'status_json idle.json && json_true idle.json "all(s[\"state\"] == \"idle\" and not s[\"engine_open\"] and s[\"position\"] is None for s in d[\"streams\"])"' ||
      fail "streams not idle after play and record: $(cat idle.json)"
  done
  json_true idle.json "$S['loopback']['link_frames'] > 0" || fail "the loopback's timeline was lost"
  grep -q ' render  idle ' <(hds status) || fail "status text: playback not idle"
  ;;
resample)
  wav gen-tone in44.wav 44100 2 44100 1000
  start_record 4
  hds play in44.wav >play.out 2>play.err || fail "play of a 44100 Hz file exited $?"
  grep -q "^hdastream: played in44.wav: .* into stream playback at 48000 Hz" play.out ||
    fail "play did not say it played out: $(cat play.out)"
  wait_record
  wav tone out.wav 1000 20 || fail "the resampled tone did not survive"
  ;;
channels)
  wav gen-noise in3.wav 48000 3 4800
  rc=0
  hds play in3.wav >play.out 2>play.err || rc=$?
  [ "$rc" -eq 65 ] || fail "play of a 3-channel file exited $rc, expected 65"
  grep -q "in3.wav has 3 channels and stream playback takes 2: hdastream mixes only mono to stereo and stereo to mono" play.err ||
    fail "no clear message: $(cat play.err)"
  # The daemon carries on, the stream free.
  status_json st.json || fail "status after the refusal: $(cat status.err)"
  json_true st.json "$S['playback']['state'] == 'idle' and not $S['playback']['clients']['owner']" ||
    fail "playback not idle after the refusal: $(cat st.json)"
  ;;
*)
  fail "unknown case"
  ;;
esac
stop_daemon
echo "ok: $case"
