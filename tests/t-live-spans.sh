#!/bin/sh
# t-live-spans.sh: analyze --spans, the monitoring use (issue 34): JSON
# Lines of the spans where the features named fire above a threshold, over
# files or standard input, each file or (--lines) each line a document.
# The reference is analyze --json's per-token activations of the same
# documents, from which the test finds the runs above the threshold
# itself; byte offsets are checked against the documents' bytes.
. "$(dirname "$0")/lib.sh"

D=$TMP/demo
mkdir -p "$D"
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res1k.bin" "$S/data/demo-sae-res4k.bin" "$D/"
IX=$D/demo.sqlite
check "attach res4k and res1k" "$FS" attach "$IX" --model "$D/demo-lm.bin" --sae "res4k=$D/demo-sae-res4k.bin" \
	--sae "res1k=$D/demo-sae-res1k.bin"

printf 'The Golden Gate Bridge is in San Francisco.\nimport numpy as np\n\ndef f(x):\n    return x  # GATTACA\n한국어 문장입니다. 그리고 끝.\n' >"$TMP/a.txt"
printf 'SELECT name FROM features WHERE id = 3;\n' >"$TMP/b.txt"
# a document longer than the model's context (analysed in windows)
python3 -c '
import sys
words = "the bridge over the bay was painted red and the fog came in from the sea while ships passed under it".split()
out = []
for i in range(700):
    out.append(words[(i * 7) % len(words)])
sys.stdout.write(" ".join(out) + ".\n")' >"$TMP/long.txt"

# the reference: analyze --json of one document (positions features
# shown, every active feature of each token)
cat >"$TMP/ref.py" <<'PY'
import json, subprocess, sys

def ref_spans(fs, ix, sae, text, feats, above, source, line):
    r = subprocess.run([fs, "analyze", "--json", "--positions", "--top", "1000", "--sae", sae, ix, "-"],
                       input=text, capture_output=True, check=True)
    d = json.loads(r.stdout)
    toks = d["tokens"]
    raw = text
    # token byte ranges: offsets are bytes of the document
    bounds = [t["offset"] for t in toks] + [len(raw)]
    out = []
    for f in feats:
        name = f if "/" in f else sae + "/" + f
        acts = []
        for t in toks:
            v = [x["value"] for x in t["features"] if x["feature"] == name]
            acts.append(v[0] if v else 0.0)
        i = 0
        while i < len(acts):
            if acts[i] > above:
                j = i
                while j < len(acts) and acts[j] > above:
                    j += 1
                seg = acts[i:j]
                m = max(seg)
                out.append({"source": source, "line": line, "feature": name, "token_start": i, "token_end": j,
                            "start": bounds[i], "end": bounds[j], "max": m, "max_token": i + seg.index(m),
                            "mean": sum(seg) / len(seg)})
                i = j
            else:
                i += 1
    return out

def key(s):
    return (s["source"], s.get("line"), s["feature"], s["token_start"])

def compare(got, want, docs):
    assert len(got) == len(want), (len(got), len(want), got[:3], want[:3])
    g = sorted(got, key=key)
    w = sorted(want, key=key)
    for a, b in zip(g, w):
        for k in ("source", "feature", "token_start", "token_end", "start", "end", "max_token"):
            assert a[k] == b[k], (k, a, b)
        if b.get("line") is not None:
            assert a["line"] == b["line"], (a, b)
        for k in ("max", "mean"):
            assert abs(a[k] - b[k]) <= 1e-4 * max(1.0, abs(b[k])), (k, a, b)
        doc = docs[(a["source"], a.get("line"))]
        span = doc[a["start"]:a["end"]]
        # bytes that are not UTF-8 (a byte-level token inside a
        # character) are written escaped, \\xHH
        want_text = span.decode("utf-8", errors="backslashreplace")
        assert want_text.startswith(a["text"]) and (a["text_cut"] or a["text"] == want_text), (a, span)
PY

# --lines: each line of a.txt a document; two features of res4k, one
# with a threshold that cuts its runs
"$FS" analyze "$IX" --spans 398 --spans res4k/12 --lines "$TMP/a.txt" >"$TMP/lines.jsonl" 2>"$TMP/lines.err"
check "spans --lines: every span is the run the per-token activations give (analyze --json of each line)" python3 -c '
import json, sys
sys.path.insert(0, sys.argv[4])
from ref import *
fs, ix = sys.argv[2], sys.argv[3]
got = [json.loads(l) for l in open(sys.argv[1])]
assert got, "no spans"
docs, want = {}, []
for n, line in enumerate(open(sys.argv[5], "rb").read().split(b"\n")[:-1], 1):
    docs[(sys.argv[5], n)] = line
    if line:
        want += ref_spans(fs, ix, "res4k", line, ["398", "12"], 0.0, sys.argv[5], n)
compare(got, want, docs)
assert {g["line"] for g in got} >= {1, 2, 4, 5, 6}, sorted({g["line"] for g in got})
print(len(got), "spans")' "$TMP/lines.jsonl" "$FS_REF" "$IX" "$TMP" "$TMP/a.txt"

# whole files as documents, one from standard input, a threshold, and a
# document past the context
"$FS" analyze "$IX" --spans res1k/3 --spans res1k/275 --above 0.5 "$TMP/b.txt" - "$TMP/long.txt" <"$TMP/a.txt" \
	>"$TMP/files.jsonl" 2>"$TMP/files.err"
check "spans over files: some spans are written" test -s "$TMP/files.jsonl"
check "spans over files and standard input: the same as the reference, with --above 0.5" python3 -c '
import json, sys
sys.path.insert(0, sys.argv[4])
from ref import *
fs, ix = sys.argv[2], sys.argv[3]
got = [json.loads(l) for l in open(sys.argv[1])]
docs, want = {}, []
for src, path in ((sys.argv[5], sys.argv[5]), ("-", sys.argv[6]), (sys.argv[7], sys.argv[7])):
    t = open(path, "rb").read()
    docs[(src, None)] = t
    want += [dict(s, line=None) for s in ref_spans(fs, ix, "res1k", t, ["res1k/3", "res1k/275"], 0.5, src, None)]
for g in got:
    assert "line" not in g, g
    g["line"] = None
compare(got, want, docs)
assert any(g["source"] == sys.argv[7] and g["token_start"] > 300 for g in got), "no span past the first window"
print(len(got), "spans")' "$TMP/files.jsonl" "$FS_REF" "$IX" "$TMP" "$TMP/b.txt" "$TMP/a.txt" "$TMP/long.txt"

# a span longer than the text kept for it: cut at a character, flagged
python3 -c 'print("한" * 400)' >"$TMP/han.txt"
"$FS" analyze "$IX" --spans 398 --above -1 "$TMP/han.txt" >"$TMP/han.jsonl" 2>&1
check "spans: a span past 512 bytes keeps whole characters of its start and says text_cut" python3 -c '
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])]
assert len(s) == 1, s
s = s[0]
doc = open(sys.argv[2], "rb").read()
t = s["text"].encode()
assert s["text_cut"] and 0 < len(t) <= 512 and doc[s["start"]:].startswith(t) and s["end"] == len(doc), s' \
	"$TMP/han.jsonl" "$TMP/han.txt"

# bad input: one line, exit 2
check_exit "spans: an unknown feature exits 2" 2 "$FS" analyze "$IX" --spans 99999 "$TMP/a.txt"
check_grep "spans: it names the option and the feature" "^featscope: --spans: 99999: no such feature" "$TMP/.err"
check_exit "spans: a feature of another dictionary than --sae exits 2" 2 "$FS" analyze "$IX" --sae res4k --spans res1k/3 "$TMP/a.txt"
check_grep "spans: it says which dictionary is in use" "res1k/3: not in dictionary 'res4k'" "$TMP/.err"
check_exit "spans: a missing file exits 2" 2 "$FS" analyze "$IX" --spans 3 "$TMP/nonexistent.txt"
check_grep "spans: it names the file" "nonexistent.txt: No such file" "$TMP/.err"
check_exit "spans: --lines without --spans is a usage error" 2 "$FS" analyze "$IX" --lines "text"
check_exit "spans: --spans with --feature is refused" 2 "$FS" analyze "$IX" --spans 3 -f 3=1 "$TMP/a.txt"
check_exit "analyze: two TEXT arguments without --spans are a usage error" 2 "$FS" analyze "$IX" "a" "b"
