#!/bin/sh
# SPDX-License-Identifier: MIT
# hsd-roundtrip in a very short run (three clicks) against an hdastreamd this
# test starts on a free port with bench/roundtrip.conf, in a folder of its
# own: the clicks are detected and the figures printed, text and --json,
# with the streams' drop and underrun counters of a last POSITION report.
# Nothing about their size is checked (speed is never asserted), only that
# they are there and that the round trip is positive.  20 ms,
# where even a loaded CI machine holds every click (at 2 ms a click can
# lose frames to late wake-ups, counted; docs/LATENCY.md, "Measured").
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/hsd-roundtrip-XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- daemon log:" >&2; cat "$dir/log" >&2 || true; exit 1; }

sed 's/^listen = .*/listen = 127.0.0.1:0/' "$CONF" >"$dir/conf"
"$HDASTREAMD" --config "$dir/conf" 2>"$dir/log" &
pid=$!
# Where it serves, from its log: bounded (30 s), polled every 50 ms.
port=
for _ in $(seq 600); do
  port=$(sed -n 's/^<5>serving on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log" | head -n1)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "hdastreamd exited"
  sleep 0.05
done
[ -n "$port" ] || fail "hdastreamd did not say where it serves"

"$HSD_ROUNDTRIP" --server "127.0.0.1:$port" --latency-ms 20 --clicks 3 --interval-ms 100 \
  >"$dir/text" || fail "hsd-roundtrip (text) failed: $(cat "$dir/text")"
cat "$dir/text"
grep -qE '^round trip over 3 of 3 clicks: p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms$' \
  "$dir/text" || fail "unexpected text: $(cat "$dir/text")"
grep -qE 'configured sum [0-9.]+ ms' "$dir/text" || fail "no configured latency: $(cat "$dir/text")"
grep -qE '^render playback: [0-9]+ frames played, [0-9]+ dropped \([0-9.]+ %\), [0-9]+ underruns \([0-9.]+ ms of silence\); capture loopback: [0-9]+ frames sent, [0-9]+ dropped$' \
  "$dir/text" || fail "no drop counters: $(cat "$dir/text")"
# The daemon runs on this host: the split at the capture converter is there.
grep -qE '^split at the capture converter: render part p50 -?[0-9.]+, p99 -?[0-9.]+, max -?[0-9.]+ ms; capture part p50 -?[0-9.]+, p99 -?[0-9.]+, max -?[0-9.]+ ms$' \
  "$dir/text" || fail "no split: $(cat "$dir/text")"

"$HSD_ROUNDTRIP" --server "127.0.0.1:$port" --latency-ms 20 --clicks 2 --interval-ms 100 --json \
  >"$dir/json" || fail "hsd-roundtrip (json) failed: $(cat "$dir/json")"
cat "$dir/json"
python3 - "$dir/json" <<'PY' || fail "bad JSON: $(cat "$dir/json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["clicks"] == 2 and r["detected"] == 2, r
rt = r["round_trip_ms"]
assert all(isinstance(rt[k], (int, float)) for k in ("p50", "p99", "max")), rt
assert 0 < rt["p50"] <= rt["p99"] <= rt["max"], rt
# The counters of the streams' last POSITION: there, whole numbers; the
# render stream counts what played or was dropped among the frames sent.
for side, keys in (("render", ("frames_sent", "frames_done", "frames_dropped", "underruns")),
                   ("capture", ("frames_sent", "frames_dropped"))):
    for k in keys:
        v = r[side][k]
        assert isinstance(v, int) and not isinstance(v, bool) and v >= 0, (side, k, r)
assert r["render"]["frames_sent"] > 0 and r["capture"]["frames_sent"] > 0, r
assert r["render"]["frames_done"] + r["render"]["frames_dropped"] <= r["render"]["frames_sent"], r
for k in ("dropped_pct", "underrun_silence_ms"):
    assert isinstance(r["render"][k], (int, float)) and r["render"][k] >= 0, (k, r)
# The two parts of the round trip (the daemon is on this host): each
# positive (a click is handed over before it is captured, captured before
# it is read), in order, and since a click's parts add up to its round
# trip, the largest parts bound the median round trip.
sp = r["split_ms"]
for part in ("render", "capture"):
    v = [sp[part + "_" + k] for k in ("p50", "p99", "max")]
    assert all(isinstance(x, (int, float)) for x in v) and 0 < v[0] <= v[1] <= v[2], sp
assert sp["render_max"] + sp["capture_max"] >= rt["p50"], (sp, rt)
assert r["configured_latency_ms"] == r["render"]["latency_ms"] + r["capture"]["latency_ms"] or \
  abs(r["configured_latency_ms"] - r["render"]["latency_ms"] - r["capture"]["latency_ms"]) < 0.01, r
PY
kill -TERM "$pid"
wait "$pid" || fail "hdastreamd did not stop with 0"
pid=
