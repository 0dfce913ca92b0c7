#!/bin/sh
# t-tui-filter.sh: the list's filter on an index of 12,000 features, with
# its label_tri trigram table and on a copy without it (an older index):
# the number of rows the list says (past 200, counted in idle steps),
# and G then Enter opening the last of them, against the sqlite3 shell's
# own count and last row (instr over lower(): ASCII case folded, as the
# filter's LIKE does), and on a copy whose label_tri is a forged plain
# table; and G pressed while the count still runs (keys
# given while idle steps run, FEATSCOPE_NOWAIT=1) ending on the last row.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IX=$TMP/big.sqlite
"$B/tools/tui-fixture" big 12000 "$IX" >/dev/null 2>&1 || { fail tui-fixture "tools/tui-fixture big failed"; exit 1; }
check_eq has-label-tri 1 "$(sqlite3 "$IX" "SELECT count(*) FROM sqlite_master WHERE name = 'label_tri'")"
cp "$IX" "$TMP/old.sqlite"
sqlite3 "$TMP/old.sqlite" "DROP TABLE label_tri" || fail drop-label-tri "sqlite3 could not drop it"
check_eq old-has-no-label-tri 0 "$(sqlite3 "$TMP/old.sqlite" "SELECT count(*) FROM sqlite_master WHERE name = 'label_tri'")"
# a file whose label_tri is not featscope's FTS5 table (a foreign or
# forged index: a plain table naming a few rows) is scanned instead
cp "$TMP/old.sqlite" "$TMP/forged.sqlite"
sqlite3 "$TMP/forged.sqlite" "CREATE TABLE label_tri(label_tri TEXT, label TEXT);
	INSERT INTO label_tri(rowid, label_tri) VALUES (5, 'x'), (999999, 'y')" || fail forge-label-tri "sqlite3 could not make it"

# run NAME INDEX FILTER: the list's row count after the filter, then the
# title of the feature page G and Enter open
run() {
	printf 'f%s<Enter>\n:save-display %s\nG\n<Enter>\n:save-display %s\nQ\n' "$3" "$TMP/$1.list" "$TMP/$1.page" >"$TMP/$1.keys"
	FEATSCOPE_SCRIPT=$TMP/$1.keys FEATSCOPE_SIZE=100x20 "$FS" "$2" >/dev/null 2>"$TMP/$1.err"
	n=$(grep -o ' 1/[0-9]*' "$TMP/$1.list" | tail -1 | sed 's|.*/||')
	f=$(sed -n '1s/^ *feature \([0-9]*\).*/\1/p' "$TMP/$1.page")
	echo "$n $f"
}

# ('77': 2 characters matching few of the first labels, read in idle steps)
for q in near 'NEAR r' 'r 1' 'ity 1' '1' 77; do
	want=$(sqlite3 "$IX" "SELECT count(*) || ' ' || coalesce(max(idx), '') FROM features
		WHERE instr(lower(label), lower('$q')) > 0 OR CAST(idx AS TEXT) = '$q'")
	check_eq "filter '$q'" "$want" "$(run "new-$q" "$IX" "$q")"
	check_eq "filter '$q', no label_tri" "$want" "$(run "old-$q" "$TMP/old.sqlite" "$q")"
	[ "$q" = 'ity 1' ] && check_eq "filter '$q', a forged label_tri" "$want" "$(run "forged-$q" "$TMP/forged.sqlite" "$q")"
done
# 'near' matches every feature: counted past 200 in idle steps
check_eq filter-counted-past-cap "12000 11999" "$(run all "$IX" near)"

# G while the count runs: 24,000 features, so that the steps of '77' (of
# 'near' past 200) are not done when G comes; Z (no action) keys let
# idle steps run after it
"$B/tools/tui-fixture" big 24000 "$TMP/g.sqlite" >/dev/null 2>&1 || fail tui-fixture-24k "tools/tui-fixture big 24000 failed"
for q in 77 near; do
	{
		printf 'f%s<Enter>\nG\n' "$q"
		i=0
		while [ $i -lt 40 ]; do echo Z; i=$((i + 1)); done
		printf '<Enter>\n:save-display %s\nQ\n' "$TMP/g.page"
	} >"$TMP/g.keys"
	rm -f "$TMP/g.page"
	FEATSCOPE_NOWAIT=1 FEATSCOPE_SCRIPT=$TMP/g.keys FEATSCOPE_SIZE=100x20 "$FS" "$TMP/g.sqlite" >/dev/null 2>"$TMP/g.err"
	want=$(sqlite3 "$TMP/g.sqlite" "SELECT max(idx) FROM features WHERE instr(lower(label), lower('$q')) > 0 OR CAST(idx AS TEXT) = '$q'")
	check_eq "G while '$q' is counted opens the last row" "$want" "$(sed -n '1s/^ *feature \([0-9]*\).*/\1/p' "$TMP/g.page")"
done
