#!/bin/sh
# t-build.sh: featscope build on the planted-feature fixtures: the index is
# complete, planted features come out on top, bad input is reported as
# FILE:LINE and leaves no index behind.
. "$(dirname "$0")/lib.sh"

IX=$(fixture_index) || { fail "fixture index builds" "$(cat "$B/tests/fixture/build.err" 2>/dev/null)"; exit 1; }
ok "fixture index builds"
F=$B/tests/fixture

"$FS" info --json "$IX" >"$TMP/info.json"
check_eq "info: 64 features" 64 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["features"])' "$TMP/info.json")"
check_eq "info: dictionary name and d_model" "fix 16" "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["saes"][0]; print(s["name"], s["d_model"])' "$TMP/info.json")"

# Each planted feature's top contexts are the ones it was planted on.
top_tokens() { "$FS" show --json --limit 20 "$IX" "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(c["tokens"][c["max_pos"]].strip() for c in d["top"]))'; }
top_tokens 0 >"$TMP/dna"
check "DNA feature: every top token is made of ACGT" python3 -c '
import sys, re; t = open(sys.argv[1]).read().split()
assert len(t) == 20 and all(re.fullmatch("[ACGT]+", x) for x in t), t' "$TMP/dna"
top_tokens 2 >"$TMP/digits"
check "digit feature: every top token is a digit" python3 -c '
import sys, re; t = open(sys.argv[1]).read().split()
assert len(t) == 20 and all(re.fullmatch("[0-9]+", x) for x in t), t' "$TMP/digits"
top_tokens 3 >"$TMP/hangul"
check "Hangul feature: every top token is Hangul" python3 -c '
import sys; t = open(sys.argv[1]).read().split()
assert len(t) == 20 and all(all(0xAC00 <= ord(c) <= 0xD7A3 for c in x) for x in t), t' "$TMP/hangul"
top_tokens 1 >"$TMP/upper"
check "uppercase feature: every top token has a capital" python3 -c '
import sys; t = open(sys.argv[1]).read().split()
assert len(t) == 20 and all(any(c.isupper() for c in x) for x in t), t' "$TMP/upper"

"$FS" show --json "$IX" 0 >"$TMP/f0.json"
check "top examples are sorted by activation, intervals within bounds" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = [c["max_act"] for c in d["top"]]
assert v == sorted(v, reverse=True), v
assert d["intervals"], "no intervals"
for g in d["intervals"]:
    for e in g["examples"]:
        assert g["lo"] - 1e-3 <= e["max_act"] <= g["hi"] + 1e-3, (g["lo"], g["hi"], e["max_act"])
assert abs(d["max_act"] - max(v)) < 1e-2
assert 0.01 < d["density"] < 0.2, d["density"]
assert sum(d["histogram"]["counts"]) > 0' "$TMP/f0.json"
check "logit effects: DNA feature promotes A C G T" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(x["token"] for x in d["logits_pos"][:4]) == ["A", "C", "G", "T"], d["logits_pos"]' "$TMP/f0.json"
check "labels file: label and its source" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["label"] == "DNA bases in ACGT runs" and d["label_source"] == "planted", d' "$TMP/f0.json"

# Both record forms (tokens, and text + offsets) carry the same text.
printf '{"text": "h\\u00e9llo w\\u00f6rld", "offsets": [0, 3, 6], "acts": [[1, 0, 2.5]], "source": "s"}\n' >"$TMP/to.jsonl"
"$FS" build -o "$TMP/to.sqlite" "$TMP/to.jsonl" 2>"$TMP/to.err"
check_eq "text+offsets record: tokens cut at the byte offsets" '["h\u00e9", "llo", " w\u00f6rld"] 1' \
	"$("$FS" show --json "$TMP/to.sqlite" 0 | python3 -c 'import json,sys; d=json.load(sys.stdin)["top"][0]; print(json.dumps(d["tokens"]), d["max_pos"])')"
n_text=$(grep -c '"offsets"' "$F/records.jsonl")
check "fixture has both record forms" test "$n_text" -gt 100

# Contexts shared by several features are stored once.
check "contexts are deduplicated" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["contexts"] < d["examples"], d' "$TMP/info.json"

# The same window twice in the records is one context, listed once among
# a feature's top examples (which then holds the other windows).
{
	printf '{"tokens": ["x", "y"], "acts": [[1, 0, 5.0]], "source": "a"}\n'
	printf '{"tokens": ["x", "y"], "acts": [[1, 0, 5.0]], "source": "a"}\n'
	printf '{"tokens": ["p", "q"], "acts": [[0, 0, 2.0]], "source": "a"}\n'
	printf '{"tokens": ["r", "s"], "acts": [[1, 0, 1.0]], "source": "a"}\n'
} >"$TMP/dup.jsonl"
"$FS" build -o "$TMP/dup.sqlite" "$TMP/dup.jsonl" 2>"$TMP/dup.err"
check_eq "a repeated window: each context once in the top examples" "xy pq rs" \
	"$("$FS" show --json "$TMP/dup.sqlite" 0 | python3 -c 'import json,sys; print(" ".join("".join(c["tokens"]) for c in json.load(sys.stdin)["top"]))')"

# Compactness: bytes per example are printed by info.
"$FS" info "$IX" >"$TMP/info.txt"
check_grep "info prints bytes per example" "bytes per example" "$TMP/info.txt"

# Bad input: FILE:LINE, exit 2, nothing left behind.
printf '{"tokens": ["a", "b"], "acts": [[0, 1, 1.0]]}\n{"tokens": ["a"], "acts": [[5, 1, 1.0]]}\n' >"$TMP/bad1.jsonl"
check_exit "position out of range: exit 2" 2 "$FS" build -o "$TMP/out.sqlite" "$TMP/bad1.jsonl"
check_grep "position out of range: FILE:LINE in message" "bad1.jsonl:2: acts\[0\]: position out of range" "$TMP/.err"
check "failed build leaves no index and no temporary file" sh -c "! ls '$TMP'/out.sqlite* 2>/dev/null | grep -q ."
printf '{"tokens": ["a"], "acts": [[0, 1, 1.0]]}\n{"tokens": ["a", \n' >"$TMP/bad2.jsonl"
check_exit "truncated JSON: exit 2" 2 "$FS" build -o "$TMP/out.sqlite" "$TMP/bad2.jsonl"
check_grep "truncated JSON: FILE:LINE in message" "bad2.jsonl:2: column [0-9]+: bad JSON" "$TMP/.err"
printf '{"acts": []}\n' >"$TMP/bad3.jsonl"
check_exit "missing tokens: exit 2" 2 "$FS" build -o "$TMP/out.sqlite" "$TMP/bad3.jsonl"
check_grep "missing tokens: names the field" "bad3.jsonl:1: tokens: missing" "$TMP/.err"
printf '{"text": "abc", "offsets": [0, 2, 1], "acts": []}\n' >"$TMP/bad4.jsonl"
check_exit "decreasing offsets: exit 2" 2 "$FS" build -o "$TMP/out.sqlite" "$TMP/bad4.jsonl"
check_grep "decreasing offsets: names the field" "bad4.jsonl:1: offsets\[2\]" "$TMP/.err"
check_exit "missing input file: exit 2" 2 "$FS" build -o "$TMP/out.sqlite" "$TMP/nope.jsonl"
check_exit "no -o: usage error" 2 "$FS" build "$TMP/bad3.jsonl"
printf '0\tok\nx\tbad\n' >"$TMP/labels.tsv"
check_exit "bad labels file: exit 2" 2 "$FS" build -o "$TMP/out.sqlite" --labels "$TMP/labels.tsv" "$F/records.jsonl"
check_grep "bad labels file: FILE:LINE" "labels.tsv:2: feature" "$TMP/.err"
check "no index after any failure" sh -c "! ls '$TMP'/out.sqlite* 2>/dev/null | grep -q ."

# An existing index is replaced only by a successful build.
cp "$IX" "$TMP/keep.sqlite"
sum1=$(cksum <"$TMP/keep.sqlite")
"$FS" build -o "$TMP/keep.sqlite" "$TMP/bad1.jsonl" 2>/dev/null
check_eq "failed build keeps the previous index intact" "$sum1" "$(cksum <"$TMP/keep.sqlite")"

# gzip input is read directly.
gzip -c "$F/records.jsonl" >"$TMP/r.jsonl.gz"
"$FS" build -o "$TMP/gz.sqlite" --no-progress "$TMP/r.jsonl.gz" 2>"$TMP/gz.err"
check_eq "gzip input gives the same feature count" 64 "$("$FS" info --json "$TMP/gz.sqlite" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"])')"
