#!/bin/sh
# t-notes-cli.sh: `featscope notes` on the fixture index: set/show/list/
# search, lists, the default per-identity path (the same after a rebuild of
# the same dictionaries), refusal of newer and corrupt databases (left
# byte-identical), and a write failure under a file size limit that leaves
# the notes database consistent.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IX=$(fixture_index) || { fail notes-fixture "fixture_index failed"; exit 1; }
D=$TMP/notes

check notes-set "$FS" notes set "$IX" 0 --label "DNA detector" --note "fires on ACGT
second line" --tag bio --tag dna --bookmark
"$FS" notes show "$IX" fix/0 >"$TMP/show" 2>&1
check_grep notes-show-label '^label: +DNA detector$' "$TMP/show"
check_grep notes-show-auto '^auto: +DNA' "$TMP/show"
check_grep notes-show-note '^    second line$' "$TMP/show"
check_grep notes-show-tags '^tags: +bio dna$' "$TMP/show"
check_grep notes-show-bookmark '^bookmark: +yes$' "$TMP/show"

P=$("$FS" notes path "$IX")
case "$P" in
"$XDG_DATA_HOME"/featscope/notes-????????????????.sqlite) ok notes-default-path ;;
*) fail notes-default-path "unexpected path $P" ;;
esac
check notes-default-exists test -f "$P"
check_eq notes-wal-mode wal "$(sqlite3 "$P" 'PRAGMA journal_mode')"

# tags added and removed, bookmark cleared, label kept
check notes-set-more "$FS" notes set "$IX" fix/0 --tag extra --untag bio --no-bookmark
"$FS" notes show "$IX" fix/0 --json >"$TMP/show.json"
check_eq notes-show-json "DNA detector|dna extra|False" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["label"]+"|"+" ".join(d["tags"])+"|"+str(d["bookmark"]))' "$TMP/show.json")"

printf 'from a file\nwith two lines\n' >"$TMP/note.txt"
check notes-note-file "$FS" notes set "$IX" 2 --note-file "$TMP/note.txt" --label digits
check_eq notes-note-file-text "from a file
with two lines" "$("$FS" notes show "$IX" 2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["note"])')"

check_exit notes-bad-feature 2 "$FS" notes set "$IX" fix/99999 --label x
check_grep notes-bad-feature-msg '^featscope: .*99999' "$TMP/.err"
check_exit notes-set-nothing 2 "$FS" notes set "$IX" 0
check_exit notes-bad-sub 2 "$FS" notes frobnicate "$IX"
# `notes help [SUB]` is --help; --tags is --tag
check_exit notes-help-sub 0 "$FS" notes help
check_grep notes-help-sub-text '^usage: featscope notes set INDEX FEATURE' "$TMP/.out"
check_exit notes-help-set 0 "$FS" notes help set
check_grep notes-help-set-text '^usage: featscope notes set INDEX FEATURE \[options\]' "$TMP/.out"
check_exit notes-help-unknown 2 "$FS" notes help frobnicate
check notes-set-tags "$FS" notes set "$IX" fix/0 --tags spelled
check_grep notes-set-tags-kept '^tags: +.*spelled' "$("$FS" notes show "$IX" fix/0 >"$TMP/tags.txt"; echo "$TMP/tags.txt")"
check_exit notes-bad-index 2 "$FS" notes list "$TMP/nope.sqlite"

"$FS" notes list "$IX" >"$TMP/list"
check_eq notes-list-count 2 "$(wc -l <"$TMP/list" | tr -d ' ')"
check_eq notes-list-first "fix/0" "$(head -1 "$TMP/list" | cut -d' ' -f1)"
# columns line up in terminal columns, a Hangul label included
"$FS" notes set "$IX" fix/7 --notes "$TMP/cols.sqlite" --label "한국어 라벨" --tag 태그 >/dev/null
"$FS" notes set "$IX" fix/12 --notes "$TMP/cols.sqlite" --label "a much longer label than the others" --note "n" >/dev/null
"$FS" notes set "$IX" fix/0 --notes "$TMP/cols.sqlite" --label "zz" >/dev/null
"$FS" notes list "$IX" --notes "$TMP/cols.sqlite" >"$TMP/list2"
check notes-list-aligned python3 -c '
import sys, unicodedata
def cols(s): return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
want = {"fix/7": "한국어 라벨", "fix/12": "a much longer label than the others", "fix/0": "zz"}
starts = set()
for l in lines:
    k = l.split(" ")[0]
    if k in want:
        i = l.index(want[k]); starts.add(cols(l[:i]))
    # the key column is as wide as the widest key: labels start past it
assert len(lines) == 3 and len(starts) == 1, (lines, starts)
t3 = [l for l in lines if l.startswith("fix/7 ")][0]
t12 = [l for l in lines if l.startswith("fix/12 ")][0]
assert cols(t3[:t3.index("태그")]) == cols(t3[:t3.index("한국어")]) + len("a much longer label than the others") + 1, (t3, t12)' "$TMP/list2"

"$FS" notes search "$IX" acgt >"$TMP/search"
check_grep notes-search-note '^fix/0 ' "$TMP/search"
"$FS" notes search "$IX" 'digits' >"$TMP/search"
check_grep notes-search-label '^fix/2 ' "$TMP/search"
check_exit notes-search-syntax 0 "$FS" notes search "$IX" 'fix/0 "('

# lists
check notes-list-add "$FS" notes list-add "$IX" good 0 fix/2 5 --description "the good ones"
"$FS" notes lists "$IX" >"$TMP/lists"
check_grep notes-lists '^good +3  the good ones$' "$TMP/lists"
check notes-list-rm-one "$FS" notes list-rm "$IX" good 5
"$FS" notes lists "$IX" >"$TMP/lists"
check_grep notes-lists-after-rm '^good +2 ' "$TMP/lists"
check_exit notes-list-bad-name 2 "$FS" notes list-add "$IX" "has space" 0
check_exit notes-list-rm-missing 1 "$FS" notes list-rm "$IX" nosuch 0
check notes-list-drop "$FS" notes list-rm "$IX" good
check_eq notes-list-dropped "" "$("$FS" notes lists "$IX")"

# a rebuild of the same dictionaries finds the same notes
mkdir -p "$TMP/rebuild"
"$FS" build -o "$TMP/rebuild/fix.sqlite" --sae fix --decoder "$(dirname "$IX")/decoder.npy" \
	--labels "$(dirname "$IX")/labels.tsv" "$(dirname "$IX")/records.jsonl" 2>/dev/null
check_eq notes-identity-survives-rebuild "$P" "$("$FS" notes path "$TMP/rebuild/fix.sqlite")"
"$FS" notes show "$TMP/rebuild/fix.sqlite" 0 >"$TMP/show2"
check_grep notes-rebuild-sees-note '^label: +DNA detector$' "$TMP/show2"

# --notes FILE
mkdir -p "$D"
check notes-explicit-file "$FS" notes set "$IX" 3 --label hangul --notes "$D/mine.sqlite"
check_eq notes-explicit-only-there "hangul" \
	"$(sqlite3 "$D/mine.sqlite" "SELECT label FROM notes WHERE key = 'fix/3'")"
check_eq notes-explicit-not-default "0" "$(sqlite3 "$P" "SELECT count(*) FROM notes WHERE key = 'fix/3'")"

# refused: newer version, not SQLite, another schema; each left byte-identical
cp "$D/mine.sqlite" "$D/newer.sqlite"
sqlite3 "$D/newer.sqlite" 'PRAGMA user_version = 9' >/dev/null
cp "$D/newer.sqlite" "$D/newer.orig"
check_exit notes-newer-refused 1 "$FS" notes list "$IX" --notes "$D/newer.sqlite"
check_grep notes-newer-message 'newer.sqlite: notes database version 9 is newer' "$TMP/.err"
check notes-newer-untouched cmp "$D/newer.sqlite" "$D/newer.orig"
check_exit notes-newer-set-refused 1 "$FS" notes set "$IX" 0 --label x --notes "$D/newer.sqlite"
check notes-newer-untouched-after-set cmp "$D/newer.sqlite" "$D/newer.orig"

printf 'my notes, typed by hand\n' >"$D/text.sqlite"
cp "$D/text.sqlite" "$D/text.orig"
check_exit notes-text-refused 1 "$FS" notes set "$IX" 0 --label x --notes "$D/text.sqlite"
check_grep notes-text-message 'not a SQLite database' "$TMP/.err"
check notes-text-untouched cmp "$D/text.sqlite" "$D/text.orig"

sqlite3 "$D/other.sqlite" 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'
cp "$D/other.sqlite" "$D/other.orig"
check_exit notes-other-refused 1 "$FS" notes show "$IX" 0 --notes "$D/other.sqlite"
check_grep notes-other-message 'not a featscope notes database' "$TMP/.err"
check notes-other-untouched cmp "$D/other.sqlite" "$D/other.orig"

# a write failure (file size limit, as on a full disk): clear message,
# exit 1, the earlier note intact and the database consistent
check notes-full-setup "$FS" notes set "$IX" 4 --label "python" --note "before" --notes "$D/full.sqlite"
python3 -c 'import sys; sys.stdout.write("long note line\n" * 150000)' >"$TMP/big.txt"
# ulimit -f counts 512- or 1024-byte blocks depending on the shell: 200
# blocks is far below the 2 MB the note needs either way
(ulimit -f 200 && exec "$FS" notes set "$IX" 4 --note-file "$TMP/big.txt" --notes "$D/full.sqlite") \
	>"$TMP/full.out" 2>"$TMP/full.err"
check_eq notes-full-exit 1 $?
check_grep notes-full-message '^featscope: .*full.sqlite: .*(write error|disk full)' "$TMP/full.err"
check_eq notes-full-kept "before" "$("$FS" notes show "$IX" 4 --notes "$D/full.sqlite" --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["note"])')"
check_eq notes-full-integrity ok "$(sqlite3 "$D/full.sqlite" 'PRAGMA integrity_check')"
check notes-full-later-save "$FS" notes set "$IX" 4 --note "after" --notes "$D/full.sqlite"
