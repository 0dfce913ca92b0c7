#!/bin/sh
# t-cli.sh: the query commands (info, show, search, token) on the fixture
# index, their --json output, and their errors on bad indexes and names.
. "$(dirname "$0")/lib.sh"

IX=$(fixture_index) || { fail "fixture index" "build failed"; exit 1; }

"$FS" show "$IX" 0 >"$TMP/show.txt"
check_grep "show: label line" "^label: +DNA bases in ACGT runs" "$TMP/show.txt"
check_grep "show: max token marked with guillemets" "«[ ACGT]+»" "$TMP/show.txt"
check_grep "show: histogram drawn with block characters" "^histogram: .*[▁▂▃▄▅▆▇█]" "$TMP/show.txt"
check_grep "show: logits line" "^logits \+: +[ACGT] " "$TMP/show.txt"
check_grep "show: the logit effects say they are the direct path" "^ +\(direct path: decoder row through the unembedding, later blocks not applied\)$" "$TMP/show.txt"
"$FS" show "$IX" fix/0 >"$TMP/show2.txt"
check "show: SAE/N names the same feature as N" cmp -s "$TMP/show.txt" "$TMP/show2.txt"
"$FS" show "$IX" 0 >"$TMP/show3.txt"
check "show: output is stable across runs" cmp -s "$TMP/show.txt" "$TMP/show3.txt"
# one histogram axis (to the end of the last bin with a count, as the
# browser draws it) and interval shares read off the whole histogram,
# recomputed here from the JSON's counts
"$FS" show --json "$IX" 0 >"$TMP/showh.json"
check "show: interval shares are the histogram's, the axis ends at the last counted bin" python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1])); h = d["histogram"]; c = h["counts"]
w = (h["hi"] - h["lo"]) / len(c)
nb = max(i + 1 for i, x in enumerate(c) if x)
end = h["lo"] + w * nb
line = [l for l in open(sys.argv[2]) if l.startswith("histogram:")][0]
assert re.search(r"  %s\.\.%s$" % (re.escape("%.3g" % h["lo"]), re.escape("%.3g" % end)), line.rstrip("\n")), (line, end)
total = 0
for iv in d["intervals"]:
    want = sum(x * max(0.0, min(iv["hi"], h["lo"] + w * (i + 1)) - max(iv["lo"], h["lo"] + w * i)) / w for i, x in enumerate(c)) / sum(c)
    assert abs(iv["token_share"] - want) < 1e-6, (iv, want)
    total += iv["token_share"]
    txt = "interval %d: %s..%s (%.1f%% of firing tokens)" % (iv["interval"], "%.3g" % iv["lo"], "%.3g" % iv["hi"], 100 * want)
    assert not iv["examples"] or txt in open(sys.argv[2]).read(), txt
assert 0.95 < total <= 1 + 1e-9, total' "$TMP/showh.json" "$TMP/show.txt"
check_exit "show: unknown feature exits 2" 2 "$FS" show "$IX" 999
check_grep "show: unknown feature message" "999: no such feature" "$TMP/.err"
check_exit "show: unknown dictionary exits 2" 2 "$FS" show "$IX" zzz/1
check_exit "show: missing argument is a usage error" 2 "$FS" show "$IX"
check_exit "search: an empty query is a usage error" 2 "$FS" search "$IX" ''
check_grep "search: an empty query says so" 'empty query' "$TMP/.err"

"$FS" search --json "$IX" golden >"$TMP/s.json"
check "search: label and context hits for 'golden'" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [f["feature"] for f in d["features"]] == ["5"], d["features"]
assert d["contexts"] and all("golden" in c["text"].lower() for c in d["contexts"])' "$TMP/s.json"
"$FS" search --json "$IX" '"Gate Bridge"' >"$TMP/p.json"
check "search: phrase query" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["contexts"] and all("Gate Bridge" in c["text"] for c in d["contexts"])' "$TMP/p.json"
"$FS" search "$IX" 'C++ (' >"$TMP/bad.txt" 2>&1
check_eq "search: query that is not FTS syntax falls back to a phrase" 0 $?
"$FS" search --json --limit 3 "$IX" the >"$TMP/l.json"
check "search: --limit caps contexts" python3 -c '
import json, sys; assert len(json.load(open(sys.argv[1]))["contexts"]) == 3' "$TMP/l.json"

"$FS" token --json "$IX" def >"$TMP/t.json"
check "token: the Python keyword feature leads for 'def'" python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))["features"]; assert d[0]["feature"] == "4", d' "$TMP/t.json"

# Not an index: one line, exit 2, file untouched.
printf 'hello' >"$TMP/not.sqlite"
check_exit "info on a non-SQLite file exits 2" 2 "$FS" info "$TMP/not.sqlite"
check_grep "non-SQLite: clear message" "not a featscope index" "$TMP/.err"
check_eq "non-SQLite: one line" 1 "$(wc -l <"$TMP/.err")"
sqlite3 "$TMP/other.sqlite" "CREATE TABLE t(x);"
check_exit "info on another SQLite database exits 2" 2 "$FS" info "$TMP/other.sqlite"
check_grep "other SQLite: says no meta table" "no meta table" "$TMP/.err"
cp "$IX" "$TMP/v3.sqlite"
sqlite3 "$TMP/v3.sqlite" "UPDATE meta SET value='3' WHERE key='version';"
sum=$(cksum <"$TMP/v3.sqlite")
check_exit "info on a version 3 index exits 2" 2 "$FS" show "$TMP/v3.sqlite" 0
check_grep "version mismatch message" "index format version 3; this featscope reads version 2" "$TMP/.err"
check_eq "refused index is not modified" "$sum" "$(cksum <"$TMP/v3.sqlite")"
cp "$IX" "$TMP/v1.sqlite"
sqlite3 "$TMP/v1.sqlite" "UPDATE meta SET value='1' WHERE key='version';"
check_exit "info on an older (version 1) index exits 2" 2 "$FS" info "$TMP/v1.sqlite"
check_grep "older version: says to rebuild" "index format version 1 is older than this featscope's \\(2\\): rebuild it with featscope build" "$TMP/.err"
check_exit "info on a missing file exits 2" 2 "$FS" info "$TMP/missing.sqlite"
head -c 20000 "$IX" >"$TMP/trunc.sqlite"
"$FS" show "$TMP/trunc.sqlite" 0 >/dev/null 2>"$TMP/trunc.err"; rc=$?
check "truncated index: clean error exit, no crash" test "$rc" = 2 -o "$rc" = 1
check "--version prints the version" sh -c "'$FS' --version | grep -q '^featscope [0-9]'"
check "--help lists the commands" sh -c "'$FS' --help | grep -q 'neighbours'"

# Full-text search includes the user's notes (never creating a notes database).
"$FS" search "$IX" korean >"$TMP/nn.txt"
check_nogrep "search without a notes database lists no notes" "notes match" "$TMP/nn.txt"
check "search never creates a notes database" test ! -e "$XDG_DATA_HOME/featscope"
"$FS" notes set "$IX" 3 --note "clean korean hangul" --label "Hangul (mine)" >/dev/null
"$FS" search --json "$IX" korean >"$TMP/sn.json"
check "search: notes matches listed with the user's label" python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
assert [n["feature"] for n in d["notes"]] == ["fix/3"] and d["notes"][0]["label"] == "Hangul (mine)", d["notes"]' "$TMP/sn.json"

# Under each context, the stored features that fire on the match come
# first, by their activation there: recomputed here from show --json's
# per-token activations of each listed feature on that context
for q in golden Bridge sequence; do
	"$FS" search --json --limit 8 "$IX" "$q" >"$TMP/span-$q.json"
	check "search '$q': features ranked by their activation on the match (recomputed from show --json)" python3 -c '
import json, subprocess, sys
fs, ix, q = sys.argv[2], sys.argv[3], sys.argv[4]
d = json.load(open(sys.argv[1]))
assert d["contexts"], d
seen_on = 0
shown = {}
for c in d["contexts"]:
    lo, hi = c["match"]
    assert c["text"][lo:hi].lower() == q.lower() or q.lower() in c["text"].lower(), c
    got = []
    for f in c["features"]:
        if f["feature"] not in shown:
            shown[f["feature"]] = json.loads(subprocess.run([fs, "show", "--json", "--limit", "100000", ix, f["feature"]], capture_output=True, check=True).stdout)
        s = shown[f["feature"]]
        exs = s["top"] + [e for iv in s["intervals"] for e in iv["examples"]] + s["random"]
        ex = [e for e in exs if e["context"] == c["context"]]
        assert ex, (f, c["context"])
        # one stored example of the feature on the context; a context
        # stored twice (two records of the same text) may hold two: any
        # of them, and the largest maximum when it fires elsewhere
        wants = []
        for e in ex:
            off, best = 0, 0.0
            for tok, a in zip(e["tokens"], e["acts"]):
                end = off + len(tok.encode())
                if end > lo and off < hi and a > best:
                    best = a
                off = end
            wants.append((best > 0, best if best > 0 else max(max(x["acts"]) for x in ex)))
        assert any(f["on_match"] == on and abs(f["act"] - w) < 1e-6 for on, w in wants), (c["context"], f, wants)
        got.append((0 if f["on_match"] else 1, -f["act"]))
        seen_on += f["on_match"]
    assert got == sorted(got), (c["context"], got)
assert seen_on > 0' "$TMP/span-$q.json" "$FS_REF" "$IX" "$q"
done

# Text that is not words: full-text search finds nothing inside a DNA run,
# so search falls back to a substring scan (or is asked for one).
"$FS" search --json "$IX" CAAGG >"$TMP/sub.json"
check "search: DNA fragment found by the substring fallback" python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
assert d["match"] == "substring" and d["contexts"] and all("CAAGG" in c["text"] for c in d["contexts"]), d' "$TMP/sub.json"
"$FS" search --json --substring "$IX" "Gate Br" >"$TMP/sub2.json"
check "search --substring: literal across a word boundary" python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
assert d["match"] == "substring" and d["contexts"] and all("Gate Br" in c["text"] for c in d["contexts"]), d' "$TMP/sub2.json"
