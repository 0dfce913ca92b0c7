#!/bin/sh
# t-tui-screens.sh: golden-screen tests of every browser screen, run
# headless (FEATSCOPE_SCRIPT: curses draws into /dev/null at a fixed size,
# keys come from a script, ':save-display' dumps the text and an
# attribute map). Each screen is compared with tests/golden/NAME.screen;
# GENERATE=1 rewrites the golden files instead of comparing.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

G=$S/tests/golden
FIXTOOL=$B/tools/tui-fixture
SMALL=$TMP/small.sqlite
"$FIXTOOL" small "$SMALL" || { fail tui-fixture "tools/tui-fixture small failed"; exit 1; }
FIX=$(fixture_index) || { fail tui-fixture-index "fixture_index failed"; exit 1; }

# screen NAME INDEX SIZE TERM KEYS [ARGS...]: run the script KEYS (lines
# separated by '|'), dump the last screen, compare with the golden file.
screen() {
	name=$1 index=$2 size=$3 term=$4 keys=$5
	shift 5
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	echo ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=$size TERM=$term \
		"$FS" "$@" "$index" >"$TMP/$name.stdout" 2>"$TMP/$name.err"
	rc=$?
	if [ $rc -ne 0 ] || [ ! -f "$TMP/$name.out" ]; then
		fail "screen-$name" "exit $rc, no dump: $(head -c 300 "$TMP/$name.err")"
		return
	fi
	if [ "${GENERATE:-}" = 1 ]; then
		cp "$TMP/$name.out" "$G/$name.screen"
		ok "screen-$name (generated)"
	elif cmp -s "$TMP/$name.out" "$G/$name.screen"; then
		ok "screen-$name"
	else
		fail "screen-$name" "differs from tests/golden/$name.screen: $(diff "$G/$name.screen" "$TMP/$name.out" 2>&1 | head -12 | tr '\n' '~')"
	fi
}

# same_as NAME GOLDEN INDEX SIZE TERM KEYS: a script that must end on the
# screen another test's golden file holds (no golden file of its own).
same_as() {
	name=$1 golden=$2 index=$3 size=$4 term=$5 keys=$6
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	echo ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=$size TERM=$term \
		"$FS" "$index" >"$TMP/$name.stdout" 2>"$TMP/$name.err"
	if cmp -s "$TMP/$name.out" "$G/$golden.screen"; then
		ok "screen-$name"
	else
		fail "screen-$name" "differs from tests/golden/$golden.screen: $(diff "$G/$golden.screen" "$TMP/$name.out" 2>&1 | head -12 | tr '\n' '~')"
	fi
}

T256=xterm-256color
# Screens of the planted fixture (tests/genfix) show only its planted
# features (its noise features are drawn from a random generator whose
# output differs between compilers); longer lists use tools/tui-fixture.
# The feature list, sorted and filtered.
screen list-start "$FIX" 80x10 $T256 ""
screen list-sort-density "$FIX" 80x10 $T256 "o|o"
screen list-filter "$FIX" 80x24 $T256 "fdig<Enter>"
screen list-filter-typing "$FIX" 80x24 $T256 "fa"
screen list-filter-cancel "$FIX" 80x10 $T256 "fdig<Esc>"
screen list-jump "$SMALL" 80x24 $T256 "d|d|5<BS>42<Enter>"
screen list-jump-sorted "$SMALL" 80x24 $T256 "d|d|o|o|5<Enter>"
screen list-jump-filtered-out "$FIX" 80x24 $T256 "fdig<Enter>|#5<Enter>"
screen list-end "$SMALL" 80x24 $T256 "d|d|G|k"
screen list-updown "$SMALL" 80x24 $T256 "d|d|<PgDn><PgDn><PgDn><PgDn>|<PgUp><PgUp><PgUp>|k"
screen list-scroll "$SMALL" 80x24 $T256 "d|d|<PgDn><PgDn>jj<C-u>"
screen list-two-dicts "$SMALL" 100x20 $T256 "D|<Tab>j"
screen list-next-dict "$SMALL" 80x20 $T256 "d"
screen list-all-dicts "$SMALL" 80x20 $T256 "d|d|d"
# The same list screens with an idle pause before every key (the list
# prefetches around the screen when idle): identical screens.
idle_same() {
	name=$1 index=$2 size=$3 keys=$4
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/idle-$name.keys"
	echo ":save-display $TMP/idle-$name.out" >>"$TMP/idle-$name.keys"
	FEATSCOPE_IDLE=1 FEATSCOPE_SCRIPT=$TMP/idle-$name.keys FEATSCOPE_SIZE=$size TERM=$T256 "$FS" "$index" 2>/dev/null
	if cmp -s "$TMP/idle-$name.out" "$G/$name.screen"; then
		ok "idle-prefetch-$name"
	else
		fail "idle-prefetch-$name" "differs with idle prefetching: $(diff "$G/$name.screen" "$TMP/idle-$name.out" 2>&1 | head -6 | tr '\n' '~')"
	fi
}
idle_same list-scroll "$SMALL" 80x24 "d|d|<PgDn><PgDn>jj<C-u>"
idle_same list-end "$SMALL" 80x24 "d|d|G|k"
idle_same list-jump "$SMALL" 80x24 "d|d|5<BS>42<Enter>"
idle_same list-updown "$SMALL" 80x24 "d|d|<PgDn><PgDn><PgDn><PgDn>|<PgUp><PgUp><PgUp>|k"
# Feature pages: planted DNA feature, token view, three-line contexts.
screen feature-dna "$FIX" 100x30 $T256 "<Enter>"
screen feature-tokens "$FIX" 100x30 $T256 "<Enter>|t"
screen feature-shift "$SMALL" 60x24 $T256 "jjj<Enter>|llll"
screen feature-shift-back "$SMALL" 60x24 $T256 "jjj<Enter>|llll|hhhhhhhh"
screen feature-lines "$SMALL" 100x30 $T256 "<Enter>|w|G"
# Display hazards: CJK, marks, RTL, escapes, invalid UTF-8, byte tokens.
screen feature-cjk "$SMALL" 80x24 $T256 "<Enter>"
screen feature-escapes "$SMALL" 80x24 $T256 "jjj<Enter>"
screen feature-invalid "$SMALL" 80x24 $T256 "jjjj<Enter>"
screen feature-bytes "$SMALL" 80x24 $T256 "jjjjj<Enter>|t"
screen feature-mono "$SMALL" 80x24 $T256 "<Enter>" --no-color
screen feature-8color "$SMALL" 80x24 xterm "<Enter>"
screen feature-vt100 "$SMALL" 80x24 vt100 "<Enter>"
(export NO_COLOR=1; screen feature-no-color-env "$SMALL" 80x24 $T256 "<Enter>")
# Neighbours, in the own and the other dictionary, and following one.
screen neighbours "$SMALL" 80x20 $T256 "<Enter>|x"
screen neighbours-other "$SMALL" 80x20 $T256 "<Enter>|x|d"
screen neighbours-open "$SMALL" 80x20 $T256 "<Enter>|x|j<Enter>"
# The builder's geometry on the planted fixture (from its decoder, the
# same on every compiler): neighbours, concept tree, map.
screen fix-neighbours "$FIX" 80x16 $T256 "<Enter>|x"
screen fix-clusters "$FIX" 80x16 $T256 "c|jj<Enter>"
screen fix-map "$FIX" 80x20 $T256 "m"
# The concept tree, expanded and collapsed.
screen clusters "$SMALL" 80x20 $T256 "c"
screen clusters-open "$SMALL" 80x20 $T256 "c|<Enter>|j<Right>|jjj<Right>"
screen clusters-feature "$SMALL" 80x20 $T256 "c|<Enter>|j<Right>|j<Enter>"
screen clusters-collapse "$SMALL" 80x20 $T256 "c|<Enter>|j<Right>|<Left>|<Left>"
# Full-text search: labels and contexts with the features firing there.
screen search-prompt "$FIX" 100x10 $T256 "sGold"
screen search "$SMALL" 100x30 $T256 "sbridge<Enter>"
screen search-tab "$SMALL" 100x30 $T256 "sbridge<Enter>|<Tab>"
screen search-context "$FIX" 100x30 $T256 "<Enter>|jjjjjjjjjjjjjjjjj<Enter>"
# Regex (engine status), map, help, notes without a database.
screen regex "$SMALL" 100x20 $T256 "r[\\p{Han}\\x1b]<Enter>"
screen regex-rank "$SMALL" 100x20 $T256 "r[\\p{Han}\\x1b]<Enter>|o"
# Enter on a ranked feature: the contexts that matched (match and
# activation), and Enter there opens the feature.
screen regex-matches "$FIX" 100x20 $T256 "r[ACGT]{4}<Enter>|<Enter>"
screen regex-open "$FIX" 100x20 $T256 "r[ACGT]{4}<Enter>|<Enter>|<Enter>"
screen regex-bad "$FIX" 100x20 $T256 "r(unclosed<Enter>"
screen map "$SMALL" 80x24 $T256 "m"
screen map-zoom "$SMALL" 80x24 $T256 "m|+|llll"
screen map-open "$SMALL" 80x24 $T256 "<Enter>|m|<Enter>"
screen help "$FIX" 100x30 $T256 "?"
screen help-feature "$FIX" 100x30 $T256 "<Enter>|<F1>"
# The ':' command line, '/' find, goto, errors.
screen command-complete "$FIX" 80x10 $T256 "<Colon>neig<Tab>"
screen command-candidates "$FIX" 80x10 $T256 "<Colon>f<Tab>"
screen command-run "$FIX" 80x24 $T256 ":sort density|:filter ACGT"
# A command without an argument does what its key does, in the top view.
same_as command-enter feature-dna "$FIX" 100x30 $T256 ":enter"
same_as command-enter-context search-context "$FIX" 100x30 $T256 "<Enter>|jjjjjjjjjjjjjjjjj|:enter"
same_as command-sort list-sort-density "$FIX" 80x10 $T256 ":sort|:sort"
same_as command-tokens feature-tokens "$FIX" 100x30 $T256 "<Enter>|:tokens"
screen find "$FIX" 80x10 $T256 "/Hangul<Enter>"
screen find-next "$FIX" 80x10 $T256 "/full<Enter>|n"
screen goto "$FIX" 80x10 $T256 "#3<Enter>"
screen goto-bad "$FIX" 80x10 $T256 "#99999<Enter>"
screen unbound "$FIX" 80x10 $T256 "Z"
# Size changes: too small, and back.
screen too-small "$SMALL" 30x8 $T256 ""
screen resize "$SMALL" 80x24 $T256 ":resize 60x15"
screen resize-back "$SMALL" 80x24 $T256 ":resize 30x8|:resize 70x12"
# Mouse: wheel and a click on a row opens it after a second click.
screen mouse-select "$FIX" 80x10 $T256 "<WheelDown>|<Click:8,3>"
screen mouse-open "$FIX" 80x24 $T256 "<WheelDown>|<Click:2,3>|<Click:2,3>"

# Without a script the browser refuses a non-terminal; bad index, bad args.
check_exit tui-not-a-tty 1 "$FS" "$FIX" </dev/null
check_grep tui-not-a-tty-msg 'needs a terminal' "$TMP/.err"
check_exit tui-missing-index 2 "$FS" "$TMP/nope.sqlite"
check_exit tui-bad-option 2 "$FS" --bogus "$FIX"
printf 'no\n' >"$TMP/bad.keys"
FEATSCOPE_SCRIPT=$TMP/bad.keys FEATSCOPE_SIZE=axb "$FS" "$FIX" >/dev/null 2>"$TMP/size.err"
check_eq tui-bad-size-exit 1 $?
check_grep tui-bad-size-msg 'FEATSCOPE_SIZE' "$TMP/size.err"
printf '<Nope>\n' >"$TMP/bad.keys"
FEATSCOPE_SCRIPT=$TMP/bad.keys "$FS" "$FIX" >/dev/null 2>"$TMP/key.err"
check_grep tui-bad-script-key 'bad.keys:1: script: unknown key' "$TMP/key.err"
# The graph screen (a real graph: Neuronpedia's gemma-2-2b CLT fixture)
# over the fixture index: as it opens (tokens across the top, layers by
# positions, the top logit's paths), with everything kept after walking
# to a feature, and with a supernode folded.
GF=$S/tests/fixtures/graphs/123-gemma-2-2b-clt-hp.json
screen graph-start "$GF" 100x30 $T256 "" --notes "$TMP/graph-notes.sqlite" "$FIX"
screen graph-walk "$GF" 100x30 $T256 ":node-more 1|:link-more 1|]|]|i" --notes "$TMP/graph-notes.sqlite" "$FIX"
screen graph-fold "$GF" 100x30 $T256 "v|]|v|:supernode both|z" --notes "$TMP/graph-notes.sqlite" "$FIX"
