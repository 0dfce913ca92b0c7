#!/bin/sh
# t-search-grep.sh: `featscope grep` on the planted-feature fixture: the DNA
# feature ranks first for [ACGT]{12,} with precision near 1, no match gives
# an empty result and exit 0, a bad pattern and a pathological one give
# their one-line messages and exit codes, and --json, --sae, --limit, -i,
# --sort, -F and --progress behave. A tiny index built here holds long runs
# of 'a' for the backtracking case.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IX=$(fixture_index) || { fail grep-fixture "fixture index not built"; exit 0; }

# The planted DNA feature (0) first, with precision and recall near 1.
check_exit grep-dna-exit 0 "$FS" grep "$IX" '[ACGT]{12,}'
cp "$TMP/.out" "$TMP/dna.txt"
check_grep grep-dna-header '^rank +feature +f1 +precision +recall +mass +contexts +label' "$TMP/dna.txt"
row=$(sed -n 2p "$TMP/dna.txt")
check_eq grep-dna-first "1 0" "$(echo "$row" | awk '{print $1, $2}')"
prec=$(echo "$row" | awk '{print $4}')
check_eq grep-dna-precision yes "$(awk -v p="$prec" 'BEGIN{print (p >= 0.9) ? "yes" : "no"}')"

# The same through --json: it parses and agrees with the table.
"$FS" grep "$IX" '[ACGT]{12,}' --json >"$TMP/dna.json" 2>"$TMP/err"
check grep-json-parses python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/dna.json"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["features"][0]
ok = f["feature"] == "0" and f["precision"] >= 0.9 and 0 < f["f1"] <= 1 and f["contexts"] > 0 \
     and d["contexts_matched"] > 0 and f["fire"] <= f["cover"]
print("yes" if ok else "no: %r" % f)' "$TMP/dna.json")
check_eq grep-json-fields yes "$got"

# No match: empty output, exit 0 (and an empty list in JSON).
check_exit grep-nomatch-exit 0 "$FS" grep "$IX" 'qqqzzzxxq{3}'
check_eq grep-nomatch-empty "" "$(cat "$TMP/.out")"
"$FS" grep "$IX" 'qqqzzzxxq{3}' --json >"$TMP/none.json"
check_eq grep-nomatch-json "0 0" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["features"]), d["matches"])' "$TMP/none.json")"

# Bad pattern: one line with the offset, exit 2.
check_exit grep-bad-exit 2 "$FS" grep "$IX" 'ab(c'
check_grep grep-bad-message '^featscope: bad pattern at offset 4: ' "$TMP/.err"
check_eq grep-bad-one-line 1 "$(wc -l <"$TMP/.err" | tr -d ' ')"

# Usage errors: exit 2.
check_exit grep-usage 2 "$FS" grep "$IX"
check_exit grep-bad-sort 2 "$FS" grep "$IX" a --sort nope
check_exit grep-bad-sae 2 "$FS" grep "$IX" a --sae nope
check_exit grep-missing-index 2 "$FS" grep "$TMP/nope.sqlite" a

# --limit N keeps N rows (plus the header).
"$FS" grep "$IX" '[ACGT]{12,}' --limit 3 >"$TMP/l3.txt"
check_eq grep-limit 4 "$(wc -l <"$TMP/l3.txt" | tr -d ' ')"
check_eq grep-limit-same-first "$(sed -n 2p "$TMP/dna.txt")" "$(sed -n 2p "$TMP/l3.txt")"

# --sae: the fixture's only dictionary is "fix"; names stay plain numbers.
"$FS" grep "$IX" '[ACGT]{12,}' --sae fix --limit 5 >"$TMP/sae.txt"
check_eq grep-sae "$(sed -n 1,6p "$TMP/dna.txt")" "$(cat "$TMP/sae.txt")"

# -i: lower-case dna matches the planted upper-case runs only with -i.
"$FS" grep "$IX" '[acgt]{12,}' >"$TMP/lc.txt"
check_nogrep grep-case-sensitive '^ +1 +0 ' "$TMP/lc.txt"
"$FS" grep "$IX" -i '[acgt]{12,}' --limit 1 >"$TMP/ci.txt"
check_grep grep-caseless '^ +1 +0 ' "$TMP/ci.txt"

# Other planted concepts: Hangul (3), Python keywords (4).
"$FS" grep "$IX" '\p{Hangul}+' --limit 1 >"$TMP/ko.txt"
check_grep grep-hangul '^ +1 +3 ' "$TMP/ko.txt"
"$FS" grep "$IX" '\b(def|class|import|return)\b' --limit 1 >"$TMP/py.txt"
check_grep grep-python '^ +1 +4 ' "$TMP/py.txt"

# --sort mass orders by the mass column; --sort contexts by contexts.
"$FS" grep "$IX" '[a-z]+' --sort mass --limit 10 >"$TMP/mass.txt"
check_eq grep-sort-mass "$(awk 'NR>1{print $6}' "$TMP/mass.txt" | sort -gr)" "$(awk 'NR>1{print $6}' "$TMP/mass.txt")"
"$FS" grep "$IX" '[a-z]+' --sort contexts --limit 10 >"$TMP/ctx.txt"
check_eq grep-sort-contexts "$(awk 'NR>1{print $7}' "$TMP/ctx.txt" | sort -gr)" "$(awk 'NR>1{print $7}' "$TMP/ctx.txt")"

# -F: regex metacharacters are plain text.
check_exit grep-fixed 0 "$FS" grep "$IX" -F 'ab(c'

# One thread and several give the same ranking.
"$FS" grep "$IX" '[a-z]{4,}' --threads 1 --json >"$TMP/t1.json"
"$FS" grep "$IX" '[a-z]{4,}' --threads 3 --json >"$TMP/t3.json"
check grep-threads-agree cmp "$TMP/t1.json" "$TMP/t3.json"

# --progress writes partial rankings to stderr and nothing else to stdout.
"$FS" grep "$IX" '[ACGT]{12,}' --progress --limit 2 >"$TMP/p.out" 2>"$TMP/p.err"
check_eq grep-progress-stdout "$(sed -n 1,3p "$TMP/dna.txt")" "$(cat "$TMP/p.out")"

# Catastrophic backtracking: a context of 40 'a's then 'b' and (a+)+$.
python3 -c '
import json
a = "a" * 40 + "b"
print(json.dumps({"tokens": ["x ", a[:20], a[20:], " end"], "source": "t", "acts": [[1, 0, 1.0], [2, 0, 2.0]]}))
print(json.dumps({"tokens": ["plain", " text"], "source": "t", "acts": [[0, 1, 1.0]]}))
' >"$TMP/patho.jsonl"
"$FS" build -o "$TMP/patho.sqlite" --sae p "$TMP/patho.jsonl" 2>"$TMP/build.err" ||
	fail grep-patho-build "$(cat "$TMP/build.err")"
check_exit grep-matchlimit-exit 1 "$FS" grep "$TMP/patho.sqlite" '(a+)+$'
check_grep grep-matchlimit-message '^featscope: pattern hit the match limit in context 1 ' "$TMP/.err"
check_eq grep-matchlimit-nostdout "" "$(cat "$TMP/.out")"
# A sane pattern on the same text works, and maps the match to both 'a' tokens.
"$FS" grep "$TMP/patho.sqlite" 'a+b' --json >"$TMP/ab.json"
check_eq grep-token-mapping "0 2 1.0 1.0 1" "$(python3 -c '
import json,sys
d = json.load(open(sys.argv[1])); f = d["features"][0]
print(f["feature"], d["tokens_matched"], round(f["precision"], 3), round(f["recall"], 3), len(d["features"]))' "$TMP/ab.json")"

# The whole-chunk prefilter never changes a result: every pattern gives the
# same JSON with --no-prefilter (context-at-a-time matching), including
# anchors, classes that take the NUL separator and non-ASCII concepts.
for pat in 'Gate' '(?i)gate b' '(?i)Golden' '[ACGT]{12,}' '^[A-Z]' 'e$' '\p{Hangul}+' '[^a-z ]{3}' 'a.{2}e' '\bthe\b' '(?i)GATE' '(?m)^s' '\d+' '(?<=e)r'; do
	"$FS" grep "$IX" "$pat" --json --limit 100 >"$TMP/pf1.json" 2>&1
	"$FS" grep "$IX" "$pat" --json --limit 100 --no-prefilter >"$TMP/pf2.json" 2>&1
	if cmp -s "$TMP/pf1.json" "$TMP/pf2.json"; then ok "grep-prefilter-same $pat"; else fail "grep-prefilter-same $pat" "results differ"; fi
done
# Chunks read straight from the mapped file (the default) and through
# SQLite (FEATSCOPE_SQLITE_READS=1) give the same results.
for pat in 'Gate' '[ACGT]{12,}' '\p{Hangul}+' '\d+' 'e$'; do
	"$FS" grep "$IX" "$pat" --json --limit 100 >"$TMP/pf1.json" 2>&1
	FEATSCOPE_SQLITE_READS=1 "$FS" grep "$IX" "$pat" --json --limit 100 >"$TMP/pf2.json" 2>&1
	if cmp -s "$TMP/pf1.json" "$TMP/pf2.json"; then ok "grep-direct-same $pat"; else fail "grep-direct-same $pat" "results differ"; fi
done
# The same for -F strings (the byte-pair finder) and a caseless one with s.
for pat in 'Gate Bridge' 'e (' 'ss'; do
	"$FS" grep "$IX" -F -i "$pat" --json --limit 100 >"$TMP/pf1.json" 2>&1
	"$FS" grep "$IX" -F -i "$pat" --json --limit 100 --no-prefilter >"$TMP/pf2.json" 2>&1
	if cmp -s "$TMP/pf1.json" "$TMP/pf2.json"; then ok "grep-prefilter-same -F -i $pat"; else fail "grep-prefilter-same -F -i $pat" "results differ"; fi
done
