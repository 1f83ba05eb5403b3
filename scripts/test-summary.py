#!/usr/bin/env python3
"""Sum up meson test logs: one closing line 'tests: N passed, N failed, N skipped'.

Counts the cmocka test cases inside each test program (a program that
crashed or timed out counts as one failure, a skipped program as one skip,
and a case cmocka skipped inside a program as one skip).
Usage: test-summary.py BUILD_DIR...
"""
import json
import re
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    try:
        log = open(f"{build}/meson-logs/testlog.json", encoding="utf-8")
    except OSError as e:
        print(f"test-summary: {build}: {e.strerror}", file=sys.stderr)
        failed += 1
        continue
    with log:
        for line in log:
            t = json.loads(line)
            out = t.get("stdout") or ""
            ok = out.count("[       OK ]")
            bad = out.count("[  FAILED  ]") // 2  # each failure is listed twice
            # cmocka names a skipped case once as it skips and again in its
            # closing list (on either stream): count the names
            skips = len(set(re.findall(r"^\[  SKIPPED \] (\S+)$",
                                       out + "\n" + (t.get("stderr") or ""),
                                       re.M)))
            if t["result"] == "SKIP":
                skipped += 1
            elif t["result"] == "OK":
                passed += max(ok, 1) if not skips else ok
                skipped += skips
            else:
                passed += ok
                skipped += skips
                failed += max(bad, 1)
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
