#!/bin/sh
# t-notes-export.sh: `featscope export` in its four formats on the fixture
# index and on a small index with awkward bytes in its contexts, and the
# round trip export -> `notes import` into an empty notes database (json and
# tsv), with conflicts reported instead of overwritten.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IX=$(fixture_index) || { fail export-fixture "fixture_index failed"; exit 1; }
D=$TMP/x
mkdir -p "$D"
N="--notes $D/notes.sqlite"
jq1() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# notes with characters that markdown, tsv and json must escape
"$FS" notes set "$IX" 0 $N --label 'DNA | bases `ACGT`' --note 'fires on ACGT runs
a second line with a	tab and a \ backslash' --tag bio --tag dna --bookmark
"$FS" notes set "$IX" 2 $N --label digits --tag num
"$FS" notes set "$IX" 5 $N --note 'Golden Gate'
"$FS" notes list-add "$IX" good 0 2 $N --description 'the good ones'
"$FS" notes list-add "$IX" later 5 $N

# text: readable, stable (two runs byte-identical), no timestamps
"$FS" export "$IX" $N >"$D/a.txt"
check_eq export-text-exit 0 $?
"$FS" export "$IX" $N >"$D/b.txt"
check export-text-stable cmp "$D/a.txt" "$D/b.txt"
check_eq export-text-features 64 "$(grep -c '^== fix/' "$D/a.txt")"
check_grep export-text-label '^label: +DNA \| bases `ACGT`$' "$D/a.txt"
check_grep export-text-marked '«.+»' "$D/a.txt"
check_nogrep export-text-no-date '20[0-9][0-9]-[01][0-9]-[0-3][0-9]' "$D/a.txt"
check_eq export-text-order "fix/0 fix/1 fix/2" "$(grep '^== ' "$D/a.txt" | head -3 | cut -c4- | tr '\n' ' ' | sed 's/ $//')"

# markdown: one heading per feature, tables, escaped | and backticks, «token»
"$FS" export "$IX" $N --format markdown >"$D/a.md"
check_eq export-md-headings 64 "$(grep -c '^## `fix/[0-9]*`' "$D/a.md")"
check_grep export-md-marked '^\| [0-9.]+ \| `+[^|]*«[^»]+».*`+ \|$' "$D/a.md"
check_grep export-md-escaped-label '^\| your label \| DNA \\\| bases \\`ACGT\\` \|$' "$D/a.md"
check_grep export-md-note-quote '^> fires on ACGT runs$' "$D/a.md"
check_grep export-md-tags '^\| tags \| `bio` `dna` \|$' "$D/a.md"
# every table row has as many cells as its header
check_eq export-md-table-shape "" "$(awk -F'\\|' '
	/^\|/ { line=$0; gsub(/\\\|/, "", line); n=gsub(/\|/, "|", line)
		if (!inside) { want=n; inside=1 } else if (n != want) print NR": "$0; next }
	{ inside=0 }' "$D/a.md")"

# json: one document that python parses, every field there
"$FS" export "$IX" $N --format json >"$D/a.json"
check_eq export-json-parses 64 "$(jq1 "$D/a.json" 'len(d["features"])')"
check_eq export-json-note "fires on ACGT runs
a second line with a	tab and a \\ backslash" "$(jq1 "$D/a.json" 'd["features"][0]["note"]')"
check_eq export-json-fields "fix/0|DNA bases in ACGT runs|True|bio,dna|good" \
	"$(jq1 "$D/a.json" '"|".join([d["features"][0]["feature"], d["features"][0]["auto_label"], str(d["features"][0]["bookmark"]), ",".join(d["features"][0]["tags"]), ",".join(d["features"][0]["lists"])])')"
check_eq export-json-context-marked True \
	"$(jq1 "$D/a.json" 'all(("«"+c["token"]+"»") in c["text"] for f in d["features"] for c in f["top_contexts"])')"
check_eq export-json-contexts 3 "$(jq1 "$D/a.json" 'len(d["features"][0]["top_contexts"])')"
check_eq export-json-stats True "$(jq1 "$D/a.json" 'd["features"][0]["density"] > 0 and d["features"][0]["max_act"] > 3')"
check_eq export-json-lists "good:the good ones:fix/0,fix/2" \
	"$(jq1 "$D/a.json" '":".join([d["lists"][0]["name"], d["lists"][0]["description"], ",".join(d["lists"][0]["features"])])')"

# tsv: a header and one row per feature, 11 fields each
"$FS" export "$IX" $N --format tsv >"$D/a.tsv"
check_eq export-tsv-rows 65 "$(wc -l <"$D/a.tsv" | tr -d ' ')"
check_eq export-tsv-fields "" "$(awk -F'\t' 'NF != 11 { print NR": "NF }' "$D/a.tsv")"
check_grep export-tsv-escaped 'fires on ACGT runs\\na second line with a\\ttab and a \\\\ backslash' "$D/a.tsv"

# --only and -o
"$FS" export "$IX" $N --only noted --format json >"$D/noted.json"
check_eq export-only-noted "fix/0 fix/2 fix/5" "$(jq1 "$D/noted.json" '" ".join(f["feature"] for f in d["features"])')"
"$FS" export "$IX" $N --only list:later >"$D/later.txt"
check_eq export-only-list "fix/5" "$(grep '^== ' "$D/later.txt" | cut -c4-)"
"$FS" export "$IX" $N --only bookmarks --format tsv >"$D/bm.tsv"
check_eq export-only-bookmarks "fix/0" "$(tail -n +2 "$D/bm.tsv" | cut -f1)"
check_exit export-only-bad 2 "$FS" export "$IX" $N --only everything
check_exit export-only-missing-list 1 "$FS" export "$IX" $N --only list:nosuch
check_exit export-bad-format 2 "$FS" export "$IX" --format yaml
check export-o "$FS" export "$IX" $N -o "$D/out.md" --format markdown
check export-o-same cmp "$D/out.md" "$D/a.md"
check_eq export-o-no-temp "" "$(ls "$D" | grep tmp)"
check_exit export-o-bad-dir 1 "$FS" export "$IX" $N -o "$D/no/such/dir/out.txt"
check_eq export-o-bad-dir-nothing "" "$(ls "$D/no" 2>/dev/null)"
# -o on a pipe writes into it; -o through a symlink keeps the link
check_eq export-o-pipe "$(wc -c <"$D/a.md" | tr -d ' ')" "$("$FS" export "$IX" $N --format markdown -o /dev/stdout | wc -c | tr -d ' ')"
: >"$D/real.txt"
ln -s real.txt "$D/link.txt"
check export-o-symlink "$FS" export "$IX" $N -o "$D/link.txt"
check_eq export-o-symlink-kept yes "$(test -L "$D/link.txt" && echo yes || echo no)"
check export-o-symlink-target cmp "$D/real.txt" "$D/a.txt"
check_exit export-missing-notes 2 "$FS" export "$IX" --notes "$D/absent.sqlite"
check_eq export-missing-notes-not-created no "$(test -e "$D/absent.sqlite" && echo yes || echo no)"

# round trip: export, import into an empty notes database, export again
for fmt in json tsv; do
	"$FS" export "$IX" $N --format $fmt -o "$D/rt.$fmt"
	"$FS" notes import "$D/rt.$fmt" "$IX" --notes "$D/rt-$fmt.sqlite" >"$D/imp.out" 2>&1
	check_eq "roundtrip-$fmt-import" 0 $?
	check_grep "roundtrip-$fmt-summary" '64 features: 3 new, 0 updated, 61 unchanged; 3 list entries added; 0 conflicts' "$D/imp.out"
	"$FS" export "$IX" $N --only noted --format $fmt >"$D/want.$fmt"
	"$FS" export "$IX" --notes "$D/rt-$fmt.sqlite" --only noted --format $fmt >"$D/got.$fmt"
	check "roundtrip-$fmt-same" cmp "$D/want.$fmt" "$D/got.$fmt"
	# importing the same file again changes nothing and conflicts with nothing
	check "roundtrip-$fmt-idempotent" "$FS" notes import "$D/rt.$fmt" "$IX" --notes "$D/rt-$fmt.sqlite"
done
check_eq roundtrip-json-list-description "the good ones" \
	"$(sqlite3 "$D/rt-json.sqlite" "SELECT description FROM lists WHERE name = 'good'")"

# conflicts: a note changed since the export is reported, not overwritten
"$FS" notes set "$IX" 0 --notes "$D/rt-json.sqlite" --note 'rewritten since'
"$FS" notes set "$IX" 7 --notes "$D/rt-json.sqlite" --tag mine
check_exit conflict-exit 1 "$FS" notes import "$D/rt.json" "$IX" --notes "$D/rt-json.sqlite"
check_grep conflict-listed '^featscope: .*rt.json: fix/0: note: differs' "$TMP/.err"
check_eq conflict-one "1" "$(grep -c 'differs' "$TMP/.err")"
check_eq conflict-kept "rewritten since" "$(sqlite3 "$D/rt-json.sqlite" "SELECT note FROM notes WHERE key = 'fix/0'")"
check_eq conflict-others-kept "mine" "$(sqlite3 "$D/rt-json.sqlite" "SELECT tags FROM notes WHERE key = 'fix/7'")"
check_exit conflict-force 0 "$FS" notes import "$D/rt.json" "$IX" --notes "$D/rt-json.sqlite" --force
check_eq conflict-forced "fires on ACGT runs" "$(sqlite3 "$D/rt-json.sqlite" "SELECT note FROM notes WHERE key = 'fix/0'" | head -1)"
"$FS" notes set "$IX" 0 --notes "$D/rt-tsv.sqlite" --label 'renamed'
check_exit conflict-tsv-exit 1 "$FS" notes import "$D/rt.tsv" "$IX" --notes "$D/rt-tsv.sqlite"
check_grep conflict-tsv-line '^featscope: .*rt.tsv:2: fix/0: label: differs' "$TMP/.err"

# bad input is refused with FILE:LINE and changes nothing
printf '{"features": [\n{"feature": "fix/1", "label": "x",}\n]}\n' >"$D/bad.json"
check_exit import-bad-json 2 "$FS" notes import "$D/bad.json" "$IX" --notes "$D/rt-json.sqlite"
check_grep import-bad-json-msg '^featscope: .*bad.json:2: json: ' "$TMP/.err"
printf 'feature\tlabel\tbookmark\nfix/1\tone\tno\nfix/2\ttwo\tmaybe\n' >"$D/bad.tsv"
check_exit import-bad-tsv 2 "$FS" notes import "$D/bad.tsv" "$IX" --notes "$D/rt-tsv.sqlite"
check_grep import-bad-tsv-msg '^featscope: .*bad.tsv:3: bookmark: ' "$TMP/.err"
check_eq import-bad-nothing-written "0" "$(sqlite3 "$D/rt-tsv.sqlite" "SELECT count(*) FROM notes WHERE label = 'one'")"
printf '{"features": [{"feature": "fix/1", "tags": 5}]}\n' >"$D/badtype.json"
check_exit import-bad-type 2 "$FS" notes import "$D/badtype.json" "$IX" --notes "$D/rt-json.sqlite"
check_grep import-bad-type-msg 'features\[0\]: tags: must be an array' "$TMP/.err"

# contexts with control characters, pipes and backticks
cat >"$D/esc.jsonl" <<'EOF'
{"tokens": ["a|b", " `code`", "\t", "\u0001bell", "line\nbreak", " end"], "acts": [[1,0,5.0],[3,1,2.0],[4,0,1.0]]}
{"tokens": ["back\\slash", " ``", " pipe|", "\u007f", " x"], "acts": [[1,0,4.0],[4,1,3.0]]}
EOF
"$FS" build -o "$D/esc.sqlite" --sae esc "$D/esc.jsonl" 2>"$D/esc.err"
check_eq esc-build 0 $?
"$FS" export "$D/esc.sqlite" >"$D/esc.txt"
check_grep esc-text-controls '^ +5\.000  a\|b« `code`»\\t\\x01bellline\\nbreak end$' "$D/esc.txt"
# backslashes are not doubled (the one escaping rule: as show and the TUI print them)
check_grep esc-text-backslash 'back\\slash« ``» pipe\|\\x7f x$' "$D/esc.txt"
"$FS" export "$D/esc.sqlite" --format markdown >"$D/esc.md"
check_grep esc-md-code-span '^\| 5\.000 \| ``a\\\|b« `code`».*end`` \|$' "$D/esc.md"
check_grep esc-md-long-fence '^\| 4\.000 \| ```back.*pipe\\\|.*``` \|$' "$D/esc.md"
"$FS" export "$D/esc.sqlite" --format json >"$D/esc.json"
check_eq esc-json-parses "\\x01bell" "$(jq1 "$D/esc.json" 'd["features"][1]["top_contexts"][1]["token"]')"
"$FS" export "$D/esc.sqlite" --format tsv >"$D/esc.tsv"
check_eq esc-tsv-fields "" "$(awk -F'\t' 'NF != 11 { print NR": "NF }' "$D/esc.tsv")"
