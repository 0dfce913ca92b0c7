#!/bin/sh
# t-cli-export-utf8.sh: export joins a window's bytes into characters before
# escaping and sizes windows in characters. The shipped demo index is
# byte-level (a Korean character is three tokens); the feature looked at
# is the best Hangul feature by the regex probe (never a fixed number).
# Each exported context must be what an independent reading of
# `show --json` gives (the marked token widened to whole characters, 40
# characters each side, escaped by the rule), contain no \x escape of a
# byte of valid text, and agree with what `show` prints.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

DEMO=$S/data/demo.sqlite
[ -f "$DEMO" ] || { fail export-utf8 "$DEMO is missing: run make demo-data"; exit 1; }
N=$TMP/n.sqlite
HF=$("$FS" grep --json --sort precision --limit 50 "$DEMO" '\p{Hangul}+' | python3 -c '
import json, sys
c = [f for f in json.load(sys.stdin)["features"] if f["contexts"] >= 10]
print(c[0]["feature"] if c else "none")')
check export-utf8-hangul-feature test "$HF" != none
check export-utf8-list "$FS" notes list-add "$DEMO" ko "$HF" --notes "$N"
check export-utf8-run "$FS" export "$DEMO" --notes "$N" --only list:ko --contexts 3 --neighbours 0 -o "$TMP/x.txt"
"$FS" show "$DEMO" "$HF" --json --limit 3 >"$TMP/show.json"
"$FS" show "$DEMO" "$HF" --limit 3 >"$TMP/show.txt"

python3 - "$TMP/show.json" "$TMP/x.txt" "$TMP/show.txt" <<'PY'
import json, re, sys, unicodedata
d = json.load(open(sys.argv[1]))
exported = [l for l in open(sys.argv[2], encoding="utf-8").read().split("\n") if re.match(r"^    +[0-9.]+  ", l)]
shown = open(sys.argv[3], encoding="utf-8").read()

def tok_bytes(t):
    # show --json writes a token that is not UTF-8 (a byte of a character)
    # as the text \xHH
    out = b""
    i = 0
    while i < len(t):
        m = re.match(r"\\x([0-9a-f]{2})", t[i:])
        if m:
            out += bytes([int(m.group(1), 16)]); i += 4
        else:
            out += t[i].encode(); i += 1
    return out

def esc(s):
    o = []
    for ch in s:
        c = ord(ch)
        if ch == "\n": o.append("\\n")
        elif ch == "\t": o.append("\\t")
        elif ch == "\r": o.append("\\r")
        elif c < 0x20 or c == 0x7f: o.append("\\x%02x" % c)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"): o.append("<U+%04X>" % c)
        else: o.append(ch)
    return "".join(o)

def window(ctx):
    text = ctx["text"].encode()
    toks = [tok_bytes(t) for t in ctx["tokens"]]
    assert b"".join(toks) == text, "tokens do not make up the text"
    offs = [0]
    for t in toks: offs.append(offs[-1] + len(t))
    a, b = offs[ctx["max_pos"]], offs[ctx["max_pos"] + 1]
    while a > 0 and (text[a] & 0xC0) == 0x80: a -= 1
    while b < len(text) and (text[b] & 0xC0) == 0x80: b += 1
    before, mark, after = text[:a].decode(), text[a:b].decode(), text[b:].decode()
    s = ("…" if len(before) > 40 else "") + esc(before[-40:]) + "«" + esc(mark) + "»" + esc(after[:40])
    return s + ("…" if len(after) > 40 else "")

want = [window(c) for c in d["top"]]
if len(exported) != len(want) or not want:
    print("FAIL export-utf8-count: %d exported, %d in show --json" % (len(exported), len(want)))
else:
    print("ok export-utf8-count")
for i, (w, e) in enumerate(zip(want, exported)):
    got = e.split("  ", 2)[-1] if e.count("  ") >= 2 else e
    got = re.sub(r"^ *[0-9.]+  ", "", e.lstrip())
    print(("ok export-utf8-window-%d" % i) if got == w else ("FAIL export-utf8-window-%d: expected [%s] got [%s]" % (i, w, got)))
    print(("ok export-utf8-no-byte-escapes-%d" % i) if "\\x" not in got else ("FAIL export-utf8-no-byte-escapes-%d: %s" % (i, got)))
    print(("ok export-utf8-marks-a-character-%d" % i) if re.search("«[\uac00-\ud7a3]»", got) else ("FAIL export-utf8-marks-a-character-%d: %s" % (i, got)))
    print(("ok export-utf8-same-as-show-%d" % i) if ("  " + w) in shown else ("FAIL export-utf8-same-as-show-%d: not in show's output" % i))
PY
