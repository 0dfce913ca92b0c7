#!/bin/sh
# t-tui-firstuse.sh: the browser as a new user meets it (search, regex
# ranking, list filter and goto, histogram, map, context and source screens,
# your-work screen), run headless: each check runs a key script, dumps the screen
# (':save-display': text, then '--', then one attribute letter per cell)
# and asserts what the screen must show.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

FIX=$(fixture_index) || { fail t16-fixture "fixture_index failed"; exit 1; }
NOTES=$TMP/notes.sqlite

# tui NAME SIZE KEYS [INDEX]: run KEYS (lines separated by '|') on INDEX
# (default the planted fixture) with the notes $NOTES; the screen's text
# is left in $TMP/NAME.txt, its attribute map in $TMP/NAME.attr.
tui() {
	name=$1 size=$2 keys=$3 index=${4:-$FIX}
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	echo ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=$size TERM=xterm-256color \
		"$FS" --notes "$NOTES" "$index" >/dev/null 2>"$TMP/$name.err"
	sed '/^--$/,$d' "$TMP/$name.out" >"$TMP/$name.txt" 2>/dev/null
	sed '1,/^--$/d' "$TMP/$name.out" >"$TMP/$name.attr" 2>/dev/null
}
# has NAME CHECK TEXT: the screen NAME shows TEXT (fixed string).
has() {
	if grep -qF -- "$3" "$TMP/$1.txt"; then ok "$2"; else fail "$2" "no '$3' on: $(head -c 600 "$TMP/$1.txt" | tr '\n' '~')"; fi
}
hasnt() {
	if grep -qF -- "$3" "$TMP/$1.txt"; then fail "$2" "'$3' on: $(grep -F -- "$3" "$TMP/$1.txt" | head -2 | tr '\n' '~')"; else ok "$2"; fi
}

# ---- 1. text search: the engine of `featscope search`
# Substring fallback: ACGTAC is no word, full-text search finds nothing;
# the CLI finds contexts 420 and 514 by substring, so must the browser.
cli_n=$("$FS" search "$FIX" ACGTAC | sed -n 's/^contexts (\([0-9]*\)).*/\1/p')
check_eq t16-search-cli-substring 2 "$cli_n"
tui sub 100x20 "sACGTAC<Enter>"
has sub t16-search-substring "contexts ($cli_n), by substring"
has sub t16-search-substring-ctx "sequence 575: ACCACGTACCCCAAATTGATAGTTCACCCC end"
has sub t16-search-substring-ctx2 "AACGTACGCTTTCGCATCA"
# the match is highlighted (M) where it is on the context's row
row=$(grep -n 'AACGTACGCTTT' "$TMP/sub.txt" | head -1 | cut -d: -f1)
attr=$(sed -n "${row}p" "$TMP/sub.attr" | tr -cd M)
check_eq t16-search-substring-marked MMMMMM "$attr"
# Centred on the match: at 40 columns the match (at byte 16 of a 37-byte
# context) is on screen and marked, the context's start cut.
tui subnarrow 40x12 "sACGTAC<Enter>|j|j"
row=$(grep -n 'CGCTTT' "$TMP/subnarrow.txt" | head -1 | cut -d: -f1)
if [ -n "$row" ] && sed -n "${row}p" "$TMP/subnarrow.attr" | grep -q MMMMMM &&
	! sed -n "${row}p" "$TMP/subnarrow.txt" | grep -q 'sequence 675'; then
	ok t16-search-centred
else
	fail t16-search-centred "match not shown marked at 40 columns: $(tr '\n' '~' <"$TMP/subnarrow.txt")"
fi
# Invalid FTS5 syntax ('575:' is a column filter) is searched as a phrase,
# as the CLI does: both contexts numbered 575.
tui phrase 100x20 "s575:<Enter>"
has phrase t16-search-phrase "contexts (2), as a phrase"
hasnt phrase t16-search-phrase-no-error "syntax error"
# The user's own labels, notes and tags are searched.
"$FS" notes set --notes "$NOTES" --label "zebra crossing" --tag striped --tag animal "$FIX" 3 >/dev/null 2>&1 ||
	fail t16-notes-set "notes set failed"
tui noted 100x20 "szebra<Enter>"
has noted t16-search-own-label "features whose notes match (1)"
grep -q '^  3 .*zebra crossing' "$TMP/noted.txt" && ok t16-search-own-label-row ||
	fail t16-search-own-label-row "no row for 3: $(tr '\n' '~' <"$TMP/noted.txt")"
tui notedtag 100x20 "sstriped<Enter>"
has notedtag t16-search-own-tag "features whose notes match (1)"

# ---- 2. regex screen: F1 by default (as `featscope grep` and the man
# page), the active measure marked in the header, mass in one format,
# Enter shows the matched contexts before the feature page.
tui rx 100x20 "r[ACGT]{4}<Enter>"
has rx t16-regex-default-f1 "ranked by F1"
has rx t16-regex-header-marks "F1*"
cli_first=$("$FS" grep "$FIX" '[ACGT]{4}' 2>/dev/null | awk 'NR > 1 && $NF != "" {print; exit}')
sed -n 4p "$TMP/rx.txt" | grep -q ' 0 *DNA bases' && ok t16-regex-first-as-cli ||
	fail t16-regex-first-as-cli "first row: $(sed -n 4p "$TMP/rx.txt") (cli: $cli_first)"
bad=$(sed -n '4,$p' "$TMP/rx.txt" | awk 'NF >= 6 && $1 ~ /%$/ && $4 !~ /^[0-9]+\.[0-9]$/ {print $4}' | head -3)
check_eq t16-regex-mass-one-format "" "$bad"
tui rxo 100x20 "r[ACGT]{4}<Enter>|o"
has rxo t16-regex-next-measure "mass*"
tui rxm 100x20 "r[ACGT]{4}<Enter>|<Enter>"
has rxm t16-regex-matches "30 of 30 contexts match; feature 0"
has rxm t16-regex-matches-act "on match"
grep -q '\^\^\^\^' "$TMP/rxm.txt" && ok t16-regex-matches-marked || fail t16-regex-matches-marked "no ^ marks"
tui rxf 100x20 "r[ACGT]{4}<Enter>|<Enter>|<Enter>"
has rxf t16-regex-matches-enter-opens "density "

# ---- 3. the list's filter and label order use the user's own labels and
# tags (feature 3: "zebra crossing", tags striped animal, from above).
tui lf 80x10 "fzebra<Enter>"
grep -q '^3 .*zebra crossing' "$TMP/lf.txt" && ok t16-list-filter-own-label ||
	fail t16-list-filter-own-label "$(tr '\n' '~' <"$TMP/lf.txt")"
has lf t16-list-filter-own-label-count " 1/1"
tui lt 80x10 "fanimal<Enter>"
grep -q '^3 .*zebra crossing' "$TMP/lt.txt" && ok t16-list-filter-own-tag ||
	fail t16-list-filter-own-tag "$(tr '\n' '~' <"$TMP/lt.txt")"
# by label, descending: "zebra crossing" (the user's) before "uppercase
# letters" (the index's label of 1), where the index's "Hangul
# syllables" of 3 would sort after it.
tui ls 80x10 "o|O"
first=$(sed -n 3p "$TMP/ls.txt" | awk '{print $1}')
check_eq t16-list-sort-own-label 3 "$first"
# a label typed in the browser is used at once
tui ll 80x10 "jjjjj|Laaa own<Enter>|faaa own<Enter>"
grep -q '^5 .*aaa own' "$TMP/ll.txt" && ok t16-list-filter-typed-label ||
	fail t16-list-filter-typed-label "$(tr '\n' '~' <"$TMP/ll.txt")"

# ---- 4. the feature page: the whole label (wrapped), histogram axis to
# the data with ticks and the count scale, one density style
long="a very long label of the user's own that says in many words what this planted feature does and where it fires, ending here: TAILWORD"
"$FS" notes set --notes "$NOTES" --label "$long" "$FIX" 6 >/dev/null 2>&1 || fail t16-notes-set-long "notes set failed"
tui fl 60x30 "#6<Enter>|<Enter>"
joined=$(sed -n '2,6p' "$TMP/fl.txt" | sed 's/^[> ]*//; s/ *$//' | tr '\n' ' ')
case "$joined" in
*"what this planted feature"*TAILWORD*) ok t16-feature-label-whole ;;
*) fail t16-feature-label-whole "label cut: $joined" ;;
esac
sed -n '2,6p' "$TMP/fl.txt" | grep -q "…" && fail t16-feature-label-no-ellipsis "cut: $joined" ||
	ok t16-feature-label-no-ellipsis
has fl t16-feature-hist-scale "activation histogram (log count: full bar "
# ticks under the bars: at least three numbers on the axis line
axis=$(grep -A5 'activation histogram' "$TMP/fl.txt" | sed -n 6p)
nt=$(printf '%s\n' "$axis" | tr -s ' ' '\n' | grep -c '^[0-9.]*[0-9]$')
[ "$nt" -ge 3 ] && ok t16-feature-hist-ticks || fail t16-feature-hist-ticks "axis: '$axis'"
# the axis ends at the data: the last tick is not past the feature's max
maxact=$(sed -n 's/.* max \([0-9.]*\) .*/\1/p' "$TMP/fl.txt" | head -1)
lasttick=$(printf '%s\n' "$axis" | tr -s ' ' '\n' | grep '[0-9]' | tail -1)
awk -v a="$lasttick" -v m="$maxact" 'BEGIN { exit !(a <= m * 1.1 + 0.01) }' && ok t16-feature-hist-to-data ||
	fail t16-feature-hist-to-data "last tick $lasttick, max $maxact"
dl=$(sed -n 's/.*density \([^ ]*\) .*/\1/p' "$TMP/fl.txt" | head -1)
tui ld 80x10 ""
dlist=$(grep '^6 ' "$TMP/ld.txt" | awk '{print $2}')
check_eq t16-density-one-style "$dl" "$dlist"

# ---- 5. cut text marked, wide mode without blank lines, id column, D
# with one dictionary, help, ':' Tab, commas in tags
tui one 45x30 "<Enter>"
grep -q '^ *4 …ce 435: CTGT.*…$' "$TMP/one.txt" && ok t16-oneline-cut-marked ||
	fail t16-oneline-cut-marked "$(grep '^ *4 ' "$TMP/one.txt" | head -2 | tr '\n' '~')"
tui wide 45x30 "<Enter>|w"
# each context continues on the next line (no blank line between them)
sed -n '/top activations/,/^ *$/p' "$TMP/wide.txt" >"$TMP/wide.sec"
n=$(grep -c '^          [A-Z]' "$TMP/wide.sec")
[ "$n" -ge 5 ] && ok t16-wide-more-context || fail t16-wide-more-context "$(tr '\n' '~' <"$TMP/wide.sec")"
grep -q '^          TCGGAAAG end' "$TMP/wide.sec" && ok t16-wide-rest-of-context ||
	fail t16-wide-rest-of-context "$(tr '\n' '~' <"$TMP/wide.sec")"
# one dictionary of 64 features: the id column is as wide as "feature"
tui idw 60x10 ""
grep -q '^0  *3.86% .*DNA bases in ACGT runs *$' "$TMP/idw.txt" && ok t16-list-id-column ||
	fail t16-list-id-column "$(sed -n 3p "$TMP/idw.txt")"
tui split1 80x10 "D"
has split1 t16-split-one-dict-refused "this index has one dictionary"
hasnt split1 t16-split-one-dict-no-second-pane "│"
# help: Enter on ':sort' (the list's first key) runs it
tui helpenter 80x24 "?|j|<Enter>"
has helpenter t16-help-enter-runs "by label asc"
# help: a long description wraps under its own column
tui helpwrap 80x40 "?"
grep -q '^   h <Left>  *:left  *contexts earlier' "$TMP/helpwrap.txt" &&
	grep -q '^                                           node; map cursor' "$TMP/helpwrap.txt" &&
	ok t16-help-wraps-in-column || fail t16-help-wraps-in-column "$(grep -A1 ':left' "$TMP/helpwrap.txt" | tr '\n' '~')"
tui colontab 80x10 "<Colon><Tab>"
tail -1 "$TMP/colontab.txt" | grep -q ': *[0-9][0-9]*+*: up down page-up' && ok t16-colon-tab-lists ||
	fail t16-colon-tab-lists "$(tail -1 "$TMP/colontab.txt")"
tui tags 80x10 "Tfoo,bar,, baz<Enter>"
"$FS" notes show --notes "$NOTES" "$FIX" 0 2>/dev/null | grep -q '^tags: *foo bar baz$' && ok t16-tags-commas-separate ||
	fail t16-tags-commas-separate "$("$FS" notes show --notes "$NOTES" "$FIX" 0 2>&1 | grep tags)"

# ---- 6. the concept tree from a feature: open at its node, node ids,
# bars relative to the whole dictionary
tui tree 80x16 "<Enter>|c"
sed -n 3p "$TMP/tree.txt" | grep -q '▾ #[0-9]' && ok t16-tree-node-ids || fail t16-tree-node-ids "$(sed -n 3p "$TMP/tree.txt")"
# the cursor (row 2 of the body: the status line says 2/N) is on feature 0
grep -q '• 0 DNA bases' "$TMP/tree.txt" && tail -1 "$TMP/tree.txt" | grep -q ' 2/[0-9]' && ok t16-tree-at-feature ||
	fail t16-tree-at-feature "$(tr '\n' '~' <"$TMP/tree.txt")"
node=$(sed -n 's/.*▾ #\([0-9]*\).*/\1/p' "$TMP/tree.txt" | head -1)
"$FS" clusters "$FIX" "$node" >/dev/null 2>&1 && ok t16-tree-id-for-cli || fail t16-tree-id-for-cli "clusters $node failed"
# bars: in the small fixture node #2 holds 3 of the dictionary's 8
# features (and 3 of its parent's 5): 4 of 10 marks, not 6
SMALL=$TMP/small.sqlite
"$B/tools/tui-fixture" small "$SMALL" || fail t16-small "tools/tui-fixture small failed"
tui treesub 80x20 "c|<Enter>|j<Right>" "$SMALL"
grep -q '^ *3 \[####      \] *▸ #2 ' "$TMP/treesub.txt" && ok t16-tree-bar-of-whole ||
	fail t16-tree-bar-of-whole "$(tr '\n' '~' <"$TMP/treesub.txt")"

# ---- 7. the map of the shipped demo (4096 features) at 60x15: not a
# solid block, a legend naming clusters, region labels, a visible cursor
DEMO=$S/data/demo.sqlite
if [ -f "$DEMO" ]; then
	tui map 60x15 "m" "$DEMO"
	python3 - "$TMP/map.txt" <<'PY' && ok t16-map-not-solid || fail t16-map-not-solid "$(tr '\n' '~' <"$TMP/map.txt")"
import sys
t = open(sys.argv[1], encoding="utf-8").read()
cells = [c for c in t if 0x2801 <= ord(c) <= 0x28ff]
full = sum(1 for c in cells if c == "\u28ff")
sys.exit(0 if cells and full < 0.2 * len(cells) else 1)
PY
	tail -2 "$TMP/map.txt" | head -1 | grep -q '^ ■ #[0-9][0-9]* [a-z]' && ok t16-map-legend ||
		fail t16-map-legend "$(tail -2 "$TMP/map.txt" | head -1)"
	# (the first 8 characters of the first legend entry, without the
	# spaces before the next entry when the label is shorter: "hangul")
	lab=$(tail -2 "$TMP/map.txt" | head -1 | sed 's/^ ■ #[0-9]* \(.\{8\}\).*/\1/; s/  .*//; s/ *$//')
	sed -n '3,13p' "$TMP/map.txt" | grep -qF "$lab" && ok t16-map-region-label || fail t16-map-region-label "no '$lab' on the map"
	# '#' with a feature of another dictionary switches the list to it
	tui gotoother 100x20 "#res1k/275<Enter>" "$DEMO"
	head -1 "$TMP/gotoother.txt" | grep -q '^ features: res1k,' && grep -q '^res1k/275 ' "$TMP/gotoother.txt" &&
		grep -q 'switched to dictionary res1k' "$TMP/gotoother.txt" && ok t16-goto-other-dictionary ||
		fail t16-goto-other-dictionary "$(tr '\n' '~' <"$TMP/gotoother.txt" | head -c 600)"
	# opened from a feature, the map names that feature under its cursor
	# (not a neighbour nearer the cell's centre), and its legend never
	# cuts a character (Hangul cluster labels)
	tui mapfrom 80x24 "#res4k/403<Enter>|m" "$DEMO"
	sed -n 2p "$TMP/mapfrom.txt" | grep -q '| res4k/403 ' && ok t16-map-opened-on-its-feature ||
		fail t16-map-opened-on-its-feature "$(sed -n 2p "$TMP/mapfrom.txt")"
	grep -q '\\x[0-9a-f][0-9a-f]' "$TMP/mapfrom.txt" && fail t16-map-legend-whole-characters "$(tail -2 "$TMP/mapfrom.txt" | head -1)" ||
		ok t16-map-legend-whole-characters
	sed -n '3,13p' "$TMP/map.txt" | grep -q '+' && ok t16-map-cursor || fail t16-map-cursor "no '+'"
else
	fail t16-map-demo "no $DEMO"
fi

# ---- 8. a context's tokens: the token under the cursor, its activations
# and the stored features firing on it (strongest first, Enter opens
# one), and the context's source. Context 795 of the planted fixture: the
# last top context, 12 lines above the page's end (the co-firing section's
# blank line, heading and 10 features follow it).
UP12="k|k|k|k|k|k|k|k|k|k|k|k"
tui ctx 80x16 "<Enter>|G|$UP12|<Enter>"
has ctx t16-context-source "source: genfix/dna"
has ctx t16-context-token "token 7 of 12 «␣TCTC» (Left/Right move): 2 stored features fire, strongest 3.67"
a1=$(sed -n 6p "$TMP/ctx.txt" | awk '{print $2}'); a2=$(sed -n 7p "$TMP/ctx.txt" | awk '{print $2}')
awk -v a="$a1" -v b="$a2" 'BEGIN { exit !(a + 0 >= b + 0 && b + 0 > 0) }' && ok t16-context-strongest-first ||
	fail t16-context-strongest-first "$a1 then $a2"
sed -n 3p "$TMP/ctx.attr" | grep -q 'MMMMM' && ok t16-context-token-marked || fail t16-context-token-marked "no mark"
tui ctxr 80x16 "<Enter>|G|$UP12|<Enter>|l"
has ctxr t16-context-token-moves "token 8 of 12 «TCAG»"
tui ctxo 80x16 "<Enter>|G|$UP12|<Enter>|j|<Enter>"
has ctxo t16-context-enter-opens "feature 43"

# ---- 9. your work: bookmarks, labelled/noted features, lists; add and
# remove list members; copy a feature summary or a context to a file and
# (when FEATSCOPE_OSC52=1) by OSC 52
N9=$TMP/notes9.sqlite
"$FS" notes set --notes "$N9" --bookmark "$FIX" 2 >/dev/null 2>&1 || fail t16-bookmark-set "notes set failed"
"$FS" notes set --notes "$N9" --label "my own" "$FIX" 4 >/dev/null 2>&1 || fail t16-label-set "notes set failed"
t9() {
	name=$1 keys=$2
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	echo ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=80x16 TERM=xterm-256color \
		"$FS" --notes "$N9" "$FIX" >/dev/null 2>"$TMP/$name.err"
	sed '/^--$/,$d' "$TMP/$name.out" >"$TMP/$name.txt" 2>/dev/null
}
t9 mine "j|+|favs<Enter>|B"
has mine t16-mine-bookmarks "bookmarks (1)"
grep -q '^  2  *digits' "$TMP/mine.txt" && ok t16-mine-bookmark-row || fail t16-mine-bookmark-row "$(tr '\n' '~' <"$TMP/mine.txt")"
has mine t16-mine-noted "with your label, note or tags (1)"
grep -q '^  4  *my own' "$TMP/mine.txt" && ok t16-mine-noted-row || fail t16-mine-noted-row "$(tr '\n' '~' <"$TMP/mine.txt")"
has mine t16-mine-list "list favs (1)"
"$FS" notes lists --notes "$N9" "$FIX" 2>/dev/null | grep -q favs && ok t16-list-add-saved || fail t16-list-add-saved "no list favs"
# remove: the list member is the row after the list heading
t9 rm "B|G|-"
has rm t16-list-remove "list favs (0)"
# copy the feature summary of feature 0 to a file, and by OSC 52
printf '%s\n' ":copy $TMP/copy.txt" ":save-display $TMP/cp.out" >"$TMP/cp.keys"
FEATSCOPE_OSC52=1 FEATSCOPE_SCRIPT=$TMP/cp.keys FEATSCOPE_SIZE=80x16 TERM=xterm-256color \
	"$FS" --notes "$N9" "$FIX" >/dev/null 2>"$TMP/cp.err"
check_grep t16-copy-feature-file '^feature 0: DNA bases in ACGT runs$' "$TMP/copy.txt"
check_grep t16-copy-feature-context '^top context [0-9]* [(]' "$TMP/copy.txt"
b64=$(sed -n 's/.*\]52;c;\([A-Za-z0-9+\/=]*\).*/\1/p' "$TMP/cp.err" | head -1)
if [ -n "$b64" ] && [ "$(printf '%s' "$b64" | base64 -d 2>/dev/null)" = "$(cat "$TMP/copy.txt")" ]; then
	ok t16-copy-osc52
else
	fail t16-copy-osc52 "no OSC 52 with the copied text: $(head -c 200 "$TMP/cp.err")"
fi
printf '%s\n' ":copy $TMP/copy2.txt" >"$TMP/cp2.keys"
FEATSCOPE_SCRIPT=$TMP/cp2.keys FEATSCOPE_SIZE=80x16 TERM=xterm-256color \
	"$FS" --notes "$N9" "$FIX" >/dev/null 2>"$TMP/cp2.err"
if grep -q ']52;' "$TMP/cp2.err"; then fail t16-copy-osc52-off "OSC 52 without FEATSCOPE_OSC52"; else ok t16-copy-osc52-off; fi
# a context: from the context screen
printf '%s\n' "<Enter>" "G" $(echo "$UP12" | tr '|' ' ') "<Enter>" ":copy $TMP/copy3.txt" >"$TMP/cp3.keys"
FEATSCOPE_SCRIPT=$TMP/cp3.keys FEATSCOPE_SIZE=80x16 TERM=xterm-256color "$FS" --notes "$N9" "$FIX" >/dev/null 2>&1
check_grep t16-copy-context '^context 161 [(]source genfix/dna[)]$' "$TMP/copy3.txt"
check_grep t16-copy-context-text '^sequence 170: TCTCTCAGTCTTAGCAGG end' "$TMP/copy3.txt"
