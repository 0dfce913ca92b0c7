#!/bin/sh
# t-tui-find.sh: '/' finds a feature row by what the screen shows: the
# user's own label (from the notes) where there is one, in every screen
# that lists features (list, neighbours, search, regex), not the index's
# label alone. Headless browser; the status line says when nothing matched.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

FIX=$(fixture_index) || { fail tui-find-fixture "fixture_index failed"; exit 1; }
NOTES=$TMP/notes.sqlite
# The planted DNA feature 0 (first in the regex ranking below) and its
# planted near-copy 8 (first among 0's neighbours) get a label of the
# user's that their index labels do not contain.
for f in 0 8; do
	"$FS" notes set --notes "$NOTES" --label "zebra crossing" "$FIX" $f >/dev/null 2>&1 ||
		fail tui-find-label-$f "notes set failed"
done

# find_in NAME KEYS: run KEYS then '/zebra'; the dump must not say that
# nothing matched.
find_in() {
	name=$1 keys=$2
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	printf '%s\n' "/zebra<Enter>" ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color \
		"$FS" --notes "$NOTES" "$FIX" >/dev/null 2>"$TMP/$name.err"
	if [ ! -f "$TMP/$name.out" ]; then
		fail "tui-find-$name" "no dump: $(head -c 200 "$TMP/$name.err")"
	elif grep -q "not found" "$TMP/$name.out"; then
		fail "tui-find-$name" "'/zebra' not found: $(grep 'not found' "$TMP/$name.out" | head -1)"
	else
		ok "tui-find-$name"
	fi
}
find_in list ""
find_in neighbours "<Enter>|x"
find_in regex "r[ACGT]{4}<Enter>"
find_in search "sDNA<Enter>"
