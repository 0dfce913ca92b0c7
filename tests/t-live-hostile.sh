#!/bin/sh
# t-live-hostile.sh: the live commands (analyze, steer) against a hostile
# index and model (issue 31): dictionary names carrying terminal escapes
# or invalid UTF-8 are printed escaped and never drop a JSON key; a
# feature out of range names the valid range; memory does not grow with
# the length of an analysed text; a GPT-2 whose context is too short for
# its dictionary is refused with one line (exit 2) instead of looping or
# corrupting the heap, and harvest names n_positions when it is below 8.
. "$(dirname "$0")/lib.sh"

D=$TMP/demo
mkdir -p "$D"
cp "$S/data/demo.sqlite" "$D/demo.sqlite"
cp "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin" "$D/"
IX=$D/demo.sqlite
ESC=$(printf '\033')

# ---- a dictionary name with a terminal escape (OSC title + colour)
cp "$IX" "$D/evil.sqlite"
EV=$D/evil.sqlite
sqlite3 "$EV" "UPDATE saes SET name=CAST(X'65761b5d303b50574e4544071b5b33316d' AS TEXT) WHERE name='res4k';
UPDATE live_files SET name=CAST(X'65761b5d303b50574e4544071b5b33316d' AS TEXT) WHERE name='res4k';"
check "analyze: runs with an escape in the dictionary name" "$FS" analyze "$EV" "GATTACA the"
cp "$TMP/.out" "$TMP/evil-analyze.txt"
check_grep "analyze: the dictionary name is shown escaped" 'dictionary ev\\x1b' "$TMP/evil-analyze.txt"
check_nogrep "analyze: no raw escape byte in the output" "$ESC" "$TMP/evil-analyze.txt"
check_nogrep "analyze: no raw BEL byte in the output" "$(printf '\007')" "$TMP/evil-analyze.txt"
check "steer: runs with an escape in the dictionary name" "$FS" steer "$EV" -f 5=2 --tokens 8
cp "$TMP/.out" "$TMP/evil-steer.txt"
check_nogrep "steer: no raw escape byte in the output" "$ESC" "$TMP/evil-steer.txt"
check_exit "steer: a feature out of range in an escaped dictionary exits 2" 2 "$FS" steer "$EV" -f 99999=2 --tokens 8
check_nogrep "steer: the error names the dictionary escaped" "$ESC" "$TMP/.err"

# ---- a dictionary name that is not UTF-8: no JSON key is dropped
cp "$IX" "$D/bad8.sqlite"
B8=$D/bad8.sqlite
sqlite3 "$B8" "UPDATE saes SET name=CAST(X'72ff346b' AS TEXT) WHERE name='res4k';
UPDATE live_files SET name=CAST(X'72ff346b' AS TEXT) WHERE name='res4k';"
check "analyze --json: runs with a non-UTF-8 dictionary name" "$FS" analyze --json "$B8" "GATTACA the"
cp "$TMP/.out" "$TMP/b8-analyze.json"
check "analyze --json: keeps sae, loss and every feature key" /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["sae"] == "r\\xff4k", j.get("sae")
assert "loss" in j
n = 0
for t in j["tokens"]:
    for f in t["features"]:
        assert f["feature"].startswith("r\\xff4k/"), f
        n += 1
for f in j["features"]:
    assert "feature" in f, f
assert n > 0' "$TMP/b8-analyze.json"
check "steer --json: runs with a non-UTF-8 dictionary name" "$FS" steer --json "$B8" -f 5=2 --tokens 8
cp "$TMP/.out" "$TMP/b8-steer.json"
check "steer --json: keeps sae and every feature key" /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["sae"] == "r\\xff4k", j.get("sae")
assert j["features"] and all(f["feature"] == "r\\xff4k/5" for f in j["features"]), j["features"]' "$TMP/b8-steer.json"

# ---- a feature out of range names the valid range, as show does
check_exit "steer: SAE/N out of range exits 2" 2 "$FS" steer "$IX" -f res4k/4096=1
check_grep "steer: SAE/N out of range names the range" 'res4k/4096: no such feature \(res4k has features 0 to 4095\)' "$TMP/.err"
check_exit "steer: N out of range exits 2" 2 "$FS" steer "$IX" -f 4096=1
check_grep "steer: N out of range names the range" "4096: no such feature in dictionary 'res4k' \(features 0 to 4095\)" "$TMP/.err"
