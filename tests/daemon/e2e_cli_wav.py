#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""WAV helpers for test_e2e_cli.sh (sox is not installed): write the test
signals, and judge what the loopback recorded.  Pure Python (wave, struct):
deterministic, no third-party module.

  gen-noise FILE RATE CH FRAMES [LEAD]
                                  16-bit pseudo-random frames (fixed seed),
                                  after LEAD frames of silence
  gen-tone FILE RATE CH FRAMES HZ 16-bit sine at half scale
  find PLAYED RECORDED MAXOFF     the played signal (its frames after its
                                  silent lead) bit-exact inside the
                                  recorded ones: print the offset (frames)
                                  of the file's first frame, fail when
                                  absent or past MAXOFF
  tone RECORDED HZ TOL            the recording holds a tone of HZ +- TOL
                                  with at least a quarter of the played
                                  energy: print frequency and RMS
"""
import math
import struct
import sys
import wave


def write(path, rate, ch, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(ch)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack("<%dh" % len(samples), *samples))


def read(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            sys.exit("%s: %d-byte samples, expected 16-bit" % (path, w.getsampwidth()))
        return w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())


def gen_noise(path, rate, ch, frames, lead=0):
    x = 0x2545F491
    out = [0] * (lead * ch)
    for _ in range(frames * ch):
        # xorshift32: every frame differs, none is silence
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        v = (x & 0xFFFF) - 0x8000
        out.append(v if v else 1)
    write(path, rate, ch, out)


def gen_tone(path, rate, ch, frames, hz):
    out = []
    for i in range(frames):
        v = int(round(16000 * math.sin(2 * math.pi * hz * i / rate)))
        out.extend([v] * ch)
    write(path, rate, ch, out)


def find(played, recorded, maxoff):
    _, pch, p = read(played)
    _, rch, r = read(recorded)
    if pch != rch:
        sys.exit("channels differ: played %d, recorded %d" % (pch, rch))
    fb = 2 * pch
    lead = 0
    while lead < len(p) and p[lead:lead + fb] == bytes(fb):
        lead += fb
    p = p[lead:]
    start = 0
    while True:
        at = r.find(p, start)
        if at < 0:
            sys.exit("the played %d frames are not bit-exact anywhere in the %d "
                     "recorded" % (len(p) // fb, len(r) // fb))
        if at % fb == 0:
            break
        start = at + 1
    off = (at - lead) // fb
    if off < 0 or off > maxoff:
        sys.exit("loopback offset %d frames, over the bound %d" % (off, maxoff))
    print(off)


def tone(recorded, hz, tol):
    rate, ch, r = read(recorded)
    s = struct.unpack("<%dh" % (len(r) // 2), r)[::ch]  # the first channel
    nz = [i for i, v in enumerate(s) if v]
    if not nz:
        sys.exit("the recording is silent")
    seg = s[nz[0]:nz[-1] + 1]
    # Leave out the edges: the resampler's ramp in and out.
    cut = len(seg) // 10
    seg = seg[cut:len(seg) - cut]
    if len(seg) < rate // 10:
        sys.exit("only %d frames of signal" % len(seg))
    crossings = sum(1 for a, b in zip(seg, seg[1:]) if a < 0 <= b)
    freq = crossings * rate / len(seg)
    rms = math.sqrt(sum(v * v for v in seg) / len(seg))
    want_rms = 16000 / math.sqrt(2)
    print("%.1f Hz, RMS %.0f (played %.0f), %d frames" % (freq, rms, want_rms, len(seg)))
    if abs(freq - hz) > tol:
        sys.exit("tone at %.1f Hz, expected %g +- %g" % (freq, hz, tol))
    if rms < want_rms / 2 or rms > want_rms * 1.5:
        sys.exit("RMS %.0f, expected about %.0f" % (rms, want_rms))


def main(a):
    if a[0] == "gen-noise":
        gen_noise(a[1], int(a[2]), int(a[3]), int(a[4]),
                  int(a[5]) if len(a) > 5 else 0)
    elif a[0] == "gen-tone":
        gen_tone(a[1], int(a[2]), int(a[3]), int(a[4]), float(a[5]))
    elif a[0] == "find":
        find(a[1], a[2], int(a[3]))
    elif a[0] == "tone":
        tone(a[1], float(a[2]), float(a[3]))
    else:
        sys.exit("unknown command " + a[0])


if __name__ == "__main__":
    main(sys.argv[1:])
