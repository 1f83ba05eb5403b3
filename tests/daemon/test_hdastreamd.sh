#!/usr/bin/env bash
# hdastreamd run as a process: test_hdastreamd.sh CASE
# meson passes HDASTREAMD (the executable), SRCDIR, VERSION and
# DEFAULT_CONFIG in the environment.  Each case runs in its own temporary
# folder, and every run of the daemon is bounded by `timeout`.
set -euo pipefail

case_name=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() { echo "FAIL ($case_name): $*" >&2; exit 1; }

# run ARGS...: the daemon's exit status in $rc, its output in out and err.
run() {
  rc=0
  timeout 30 "$HDASTREAMD" "$@" >out 2>err || rc=$?
  [ "$rc" -ne 124 ] || fail "hdastreamd $* did not exit within 30 s"
}

# serve CONF: run the daemon in the background until it logs that it
# serves (at most 30 s), then SIGTERM it and wait for its exit (at most
# 10 s; a second is the daemon's own bound, the slack is for a slow
# machine).  rc, out and err as for run.
serve() {
  rc=0
  "$HDASTREAMD" --config "$1" >out 2>err &
  local pid=$! i
  for i in $(seq 300); do
    grep -q 'serving on' err && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"; wait "$pid" || true
    fail "hdastreamd did not stop within 10 s of SIGTERM: $(cat err)"
  fi
  wait "$pid" || rc=$?
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "exit status $rc, expected $1; stderr: $(cat err)"; }
expect_out() { [ "$(cat out)" = "$1" ] || fail "stdout is '$(cat out)', expected '$1'"; }
expect_err() { [ "$(cat err)" = "$1" ] || fail "stderr is '$(cat err)', expected '$1'"; }
expect_err_has() { grep -qxF -- "$1" err || fail "stderr lacks the line '$1': $(cat err)"; }
expect_out_has() { grep -qF -- "$1" out || fail "stdout lacks '$1': $(cat out)"; }

# check TEXT LINE: a config with TEXT is refused with exit 78 and exactly
# LINE on stderr, nothing on stdout.
check_bad() {
  printf '%b' "$1" >x.conf
  run --check-config --config x.conf
  expect_rc 78
  expect_out ""
  expect_err "$2"
}

stream='[stream s]\ndirection = render\n'

case $case_name in
help)
  run --help
  expect_rc 0
  expect_out_has "Usage: hdastreamd [OPTIONS]"
  expect_out_has "--check-config"
  expect_out_has "(default $DEFAULT_CONFIG)"
  for code in 0 64 69 70 78; do
    grep -qE "^  $code " out || fail "--help does not document exit status $code"
  done
  expect_err ""
  ;;
version)
  run --version
  expect_rc 0
  expect_out "hdastreamd $VERSION"
  ;;
usage)
  run --no-such-option
  expect_rc 64
  run extra-argument
  expect_rc 64
  expect_err "hdastreamd: unexpected argument 'extra-argument'
Try 'hdastreamd --help'."
  ;;
example)
  run --check-config --config "$SRCDIR/conf/hdastreamd.conf"
  expect_rc 0
  expect_out "$SRCDIR/conf/hdastreamd.conf: OK"
  expect_err ""
  ;;
serve)
  # The default config, on free ports: it logs the controller, the plan,
  # each stream's sizing and where it serves, and SIGTERM stops it with 0.
  sed 's/^listen = .*/listen = 127.0.0.1:0 [::1]:0/' "$SRCDIR/conf/hdastreamd.conf" >x.conf
  serve x.conf
  expect_rc 0
  expect_out ""
  expect_err_has "<6>controller emu:linein=loopback: emu, 4 output, 4 input, 0 bidirectional engines"
  expect_err_has "<6>listen 127.0.0.1:0 [::1]:0; at most 16 clients, 200 ms queued per client"
  expect_err_has "<6>stream playback: render, 48000 Hz, 16-bit, 2 ch, latency 20 ms, pcm, pin line-out"
  expect_err_has "<6>stream loopback: capture, 48000 Hz, 16-bit, 2 ch, latency 20 ms, pcm, pin line-in"
  expect_err_has "<6>stream playback: latency 20.000 ms (requested 20 ms): buffer 8320 B in 5 periods of 416 frames, FIFO 256 B"
  expect_err_has "<6>stream loopback: latency 19.667 ms (requested 20 ms, lowered to whole granules): buffer 13312 B in 4 periods of 832 frames, FIFO 256 B"
  grep -qE '^<5>serving on 127\.0\.0\.1:[0-9]+' err || fail "no 'serving on' line: $(cat err)"
  expect_err_has "<6>SIGTERM: stopping"
  expect_err_has "<6>stopped"
  ;;
serve-log-level)
  # log_level filters (notice: only where it serves), and a fractional latency is logged as written.
  printf '[daemon]\nlog_level = notice\nlisten = 127.0.0.1:0\ncontroller = emu:clock=manual\n[stream s]\ndirection = capture\nlatency_ms = 2.5\nalways_on = true\n' >x.conf
  serve x.conf
  expect_rc 0
  # (A sanitizer build also warns that mlockall had no effect.)
  grep -v '^<4>audio thread real-time: ' err >notices || true
  [ "$(wc -l <notices)" -eq 1 ] && grep -qE '^<5>serving on 127\.0\.0\.1:[0-9]+$' notices ||
    fail "expected the one notice line: $(cat err)"
  printf '[daemon]\nlog_level = debug\nlisten = 127.0.0.1:0\ncontroller = emu:clock=manual\n[stream s]\ndirection = capture\nlatency_ms = 2.5\nalways_on = true\npin = 0x0c\n' >x.conf
  serve x.conf
  expect_rc 0
  expect_err_has "<6>stream s: capture, 48000 Hz, 16-bit, 2 ch, latency 2.5 ms, pcm, pin 0x0C, always on"
  ;;
serve-bad)
  # A bad config without --check-config: the same error, as a log line.
  printf '[stream s]\ndirection = render\nbits = 12\n' >x.conf
  run --config x.conf
  expect_rc 78
  expect_err "<3>x.conf:3: [stream s] bits: expected 8, 16, 20, 24 or 32, got '12'"
  ;;
bad-value)
  check_bad "${stream}latency_ms = 0\n" \
    "x.conf:3: [stream s] latency_ms: expected 1..2000 (milliseconds, up to 3 decimals), got '0'"
  ;;
unknown-key)
  check_bad "[daemon]\nlisten = 127.0.0.1:0\nlisten_port = 4713\n${stream}" \
    "x.conf:3: [daemon] listen_port: unknown key (expected controller, listen, max_clients, max_streams, client_queue_ms, log_level, realtime)"
  ;;
unknown-section)
  check_bad "${stream}[server]\nport = 1\n" \
    "x.conf:3: [server]: unknown section (expected [daemon] or [stream NAME])"
  ;;
missing-key)
  check_bad "[daemon]\n\n[stream s]\nrate = 44100\n" \
    "x.conf:3: [stream s] direction: missing (expected render or capture)"
  ;;
duplicate-stream)
  check_bad "${stream}\n${stream}" "x.conf:4: [stream s]: duplicate section (first at line 1)"
  ;;
no-stream)
  check_bad "[daemon]\nlog_level = info\n" \
    "x.conf: no [stream NAME] section (a config needs at least one stream)"
  ;;
unknown-controller)
  check_bad "[daemon]\ncontroller = hdaudio:0\n${stream}" \
    "x.conf:2: [daemon] controller: expected emu[:OPTIONS] or qemu[:OPTIONS], got 'hdaudio:0'"
  ;;
refused-controller)
  # libhda's own reason, against the line of the controller key.
  check_bad "# a comment\n[daemon]\ncontroller = emu:iss=99\n${stream}" \
    "x.conf:3: [daemon] controller: libhda refused 'emu:iss=99': emu option 'iss': expected 0..15, got '99' (HDA_STATUS_INVALID_PARAMETER)"
  ;;
syntax)
  check_bad "${stream}rate 48000\n" \
    "x.conf:3: syntax error: expected [SECTION], KEY = VALUE, a # comment or a blank line"
  ;;
missing-file)
  run --check-config --config nonexistent.conf
  expect_rc 78
  expect_err "nonexistent.conf: cannot open: No such file or directory"
  ;;
units)
  # The service with its paths filled in (the daemon replaced by a program
  # that exists, as verify checks ExecStart=), the socket, and the qemu
  # drop-in applied on top: systemd's own checker finds nothing to say.
  command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
  mkdir -p units/hdastreamd.service.d
  sed -e "s|@SBINDIR@/hdastreamd|$(command -v true)|" -e 's|@SYSCONFDIR@|/etc|' \
    "$SRCDIR/conf/hdastreamd.service.in" >units/hdastreamd.service
  cp "$SRCDIR/conf/hdastreamd.socket" units/
  cp "$SRCDIR/conf/hdastreamd-qemu.conf" units/hdastreamd.service.d/qemu.conf
  grep -q '^Type=notify$' units/hdastreamd.service || fail "the service is not Type=notify"
  out=$(SYSTEMD_UNIT_PATH="$PWD/units:" systemd-analyze verify \
          "$PWD/units/hdastreamd.service" "$PWD/units/hdastreamd.socket" 2>&1) ||
    fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify says: $out"
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok: $case_name"
