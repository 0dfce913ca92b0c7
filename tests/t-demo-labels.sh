#!/bin/sh
# t-demo-labels.sh: the shipped demo index's automatic labels, read back
# through `featscope export` and judged by Python's Unicode database (not
# by the harvester's own character tables): no name states a character
# class that its first quoted character contradicts; names are short; some
# features get a structural name; the feature page shows the name and the
# description apart.
. "$(dirname "$0")/lib.sh"

DEMO=$S/data/demo.sqlite
if [ ! -f "$DEMO" ]; then
	fail "demo index exists" "$DEMO is missing: run make demo-data"
	exit 1
fi
"$FS" export --format json --contexts 0 --neighbours 0 "$DEMO" >"$TMP/all.json" ||
	fail "export the demo index" "featscope export failed"

python3 - "$TMP/all.json" >"$TMP/judge.out" <<'PY'
import json, re, sys, unicodedata as ud

feats = json.load(open(sys.argv[1]))["features"]
def name(c):
    return ud.name(c, "")
def ascii_punct(c):
    return ord(c) < 0x80 and not c.isalnum() and c not in " \t\n"
# what each class name promises, from the Unicode database
classes = {
    "digits": lambda c: ord(c) < 0x80 and ud.category(c) == "Nd",
    "uppercase letters": lambda c: ord(c) < 0x80 and ud.category(c) == "Lu",
    "lowercase letters": lambda c: ord(c) < 0x80 and ud.category(c) == "Ll",
    "spaces": lambda c: c == " ",
    "newlines": lambda c: c == "\n",
    "tabs": lambda c: c == "\t",
    "ASCII punctuation": ascii_punct,
    "Hangul": lambda c: "HANGUL" in name(c),
    "CJK ideographs": lambda c: name(c).startswith("CJK UNIFIED IDEOGRAPH"),
    "Japanese kana": lambda c: "HIRAGANA" in name(c) or "KATAKANA" in name(c),
    "Arabic script": lambda c: "ARABIC" in name(c),
    "Hebrew script": lambda c: "HEBREW" in name(c),
    "Cyrillic": lambda c: "CYRILLIC" in name(c),
    "Greek": lambda c: "GREEK" in name(c),
    "accented Latin letters": lambda c: ord(c) >= 0x80 and "LATIN" in name(c) and ud.category(c)[0] == "L",
    "CJK punctuation": lambda c: ud.category(c)[0] in "PSZN" or name(c).startswith(("FULLWIDTH", "HALFWIDTH", "IDEOGRAPHIC")),
    "DNA bases": lambda c: c in "ACGTUNacgtun",
    "protein sequence letters": lambda c: "A" <= c <= "Z",
    "DNA/protein sequence letters": lambda c: "A" <= c <= "Z" or c in "acgtun",
    "hex digits": lambda c: c in "0123456789abcdefABCDEF",
    "base64 text": lambda c: ord(c) < 0x80 and c.isalnum(),
}
esc = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\\\": "\\"}
def unquote(q):
    if q in esc:
        return esc[q]
    if re.fullmatch(r"\\x[0-9A-F]{2}", q):
        return None  # a lone byte: no character to judge
    return q
named = bad = structural = long_names = 0
classed = {}
for f in feats:
    lab = f["auto_label"] or ""
    if len(lab) > 63:
        long_names += 1
    m = re.match(r"([^:']+): '(\\x[0-9A-F]{2}|\\.|'|[^']+)'", lab)
    plain = ("mixed", "other characters", "dead")
    if not m:
        if lab and not lab.startswith(plain) and not any(lab.startswith(k) for k in classes):
            structural += 1
        continue
    cls, q = m.group(1), m.group(2)
    if cls not in classes:
        if not cls.startswith(plain):
            structural += 1
        continue
    c = unquote(q)
    if c is None or len(c) != 1:
        continue
    named += 1
    classed[cls] = classed.get(cls, 0) + 1
    if not classes[cls](c):
        bad += 1
        if bad <= 5:
            print("contradiction: %s %r (%s)" % (f["feature"], lab, name(c) or "U+%04X" % ord(c)))
print("features %d" % len(feats))
print("class_names %d" % named)
print("contradictions %d" % bad)
print("structural %d" % structural)
print("long_names %d" % long_names)
for k in sorted(classed):
    print("# %s: %d" % (k, classed[k]))
PY
cat "$TMP/judge.out" | sed 's/^/# /'
val() { sed -n "s/^$1 //p" "$TMP/judge.out"; }
check "the labels were read" test "$(val features)" -gt 1000
check "most labels name a character class" test "$(val class_names)" -gt 500
check_eq "no label's class contradicts its first quoted character (Unicode database)" 0 "$(val contradictions)"
# "at most about 60": the name field holds 63 bytes
check_eq "every name is at most 63 characters" 0 "$(val long_names)"
check "some features get a structural name ($(val structural))" test "$(val structural)" -ge 200

# Position features (issue 32): every feature named by position ("position
# N ...", "positions 0-N ...") has its stored top contexts peaking there
# (the argmax of each context's activations, taken here from the raw
# per-token values), in at least half of them; and the demo has some (the
# harvest's first-token features).
python3 - "$FS" "$DEMO" "$TMP/all.json" >"$TMP/pos.out" <<'PY'
import json, re, subprocess, sys
fs, demo = sys.argv[1], sys.argv[2]
feats = json.load(open(sys.argv[3]))["features"]
n = bad = 0
for f in feats:
    m = re.match(r"positions? (\d+)(?:-(\d+))?\b", f["auto_label"] or "")
    if not m:
        continue
    lo = int(m.group(1)); hi = int(m.group(2) or lo)
    d = json.loads(subprocess.run([fs, "show", "--json", demo, f["feature"]],
                                  capture_output=True, check=True).stdout)
    top = [e for e in d["top"] if e["acts"]]
    at = [max(range(len(e["acts"])), key=lambda i: e["acts"][i]) for e in top]
    inside = sum(1 for a in at if lo <= a <= hi)
    n += 1
    print("# %s %r: %d of %d top contexts peak at %d-%d" % (f["feature"], f["auto_label"], inside, len(at), lo, hi))
    if not top or 2 * inside < len(top):
        bad += 1
print("position_features %d" % n)
print("position_wrong %d" % bad)
PY
grep "^# " "$TMP/pos.out"
check "some demo features are named by position ($(sed -n 's/^position_features //p' "$TMP/pos.out"))" \
	test "$(sed -n 's/^position_features //p' "$TMP/pos.out")" -ge 1
check_eq "every position name: its top contexts peak at that position" 0 "$(sed -n 's/^position_wrong //p' "$TMP/pos.out")"

# the feature page: the name and the description in two fields
"$FS" show --json "$DEMO" 1 >"$TMP/f1.json"
check "show: a name and a description apart" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["label"] and d["description"], d
assert d["description"] != d["label"] and len(d["description"]) > len(d["label"]), d' "$TMP/f1.json"
