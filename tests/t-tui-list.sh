#!/bin/sh
# t-tui-list.sh: the feature list keeps its place. A jump to a feature
# number lands on that feature in every sort order and direction, and
# `:sort COLUMN` keeps the selected feature selected (it used to keep the
# row number, which selected another feature and cost a scan from the top
# of the list). Checked by opening the selected feature (Enter) and reading
# the feature page's title from the headless dump.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IX=$TMP/small.sqlite
"$B/tools/tui-fixture" small "$IX" || { fail tui-fixture "tools/tui-fixture small failed"; exit 1; }

# opened NAME KEYS: run the keys (separated by '|'), then Enter, and print
# the title of the feature page that opened
opened() {
	printf '%s\n' "$2" | tr '|' '\n' >"$TMP/$1.keys"
	printf '<Enter>\n:save-display %s\n' "$TMP/$1.out" >>"$TMP/$1.keys"
	FEATSCOPE_SCRIPT=$TMP/$1.keys FEATSCOPE_SIZE=80x24 "$FS" "$IX" >/dev/null 2>"$TMP/$1.err"
	sed -n '1s/^ *feature \([^ ]*\).*/\1/p' "$TMP/$1.out" 2>/dev/null
}

for sort in id label density max cluster; do
	for rev in "" "|O"; do
		for n in 7 42 63; do
			got=$(opened "jump-$sort-$n" "d|d|:sort $sort$rev|$n<Enter>")
			check_eq "jump-$sort${rev:+-reversed}-$n" "gamma/$n" "$got"
		done
	done
done
for sort in label density max cluster id; do
	got=$(opened "sort-keeps-$sort" "d|d|42<Enter>|:sort $sort")
	check_eq "sort-keeps-selection-$sort" "gamma/42" "$got"
done
# moving after the re-sort moves from the kept feature, in the new order:
# the feature below gamma/42 by density is whatever the index says it is
below=$(sqlite3 "$IX" "SELECT s.name || '/' || f.idx FROM features f JOIN saes s ON s.id = f.sae
	WHERE s.name = 'gamma' ORDER BY f.density, f.sae, f.idx" | grep -A1 -x 'gamma/42' | sed -n 2p)
got=$(opened sort-then-down "d|d|42<Enter>|:sort density|j")
check_eq "sort-then-down-follows-new-order" "$below" "$got"
