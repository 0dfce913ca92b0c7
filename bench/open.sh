#!/bin/sh
# bench/open.sh: time to open an index (`featscope info`: meta and the
# dictionaries, process start included) next to the sqlite3 shell reading
# the same two tables from the same file, as a ratio.
# Opening must not scan tables, so the time should not grow with the
# index. Usage: bench/open.sh [INDEX...] (default: the fixture and the demo)
B=${FS_BUILDDIR:-$(pwd)}
S=$(cd "$(dirname "$0")/.." && pwd)
FS=$B/featscope
[ $# -gt 0 ] || set -- "$B/tests/fixture/fix.sqlite" "$S/data/demo.sqlite"
runs=50
TMPDIR_OPEN=${TMPDIR:-/tmp}/fs-open-bench.$$
printf '%-40s %10s %12s %12s %7s\n' index bytes "featscope ms" "sqlite3 ms" ratio
. "$(dirname "$0")/lib.sh"
# five batches of $runs runs each, alternating the two tools; the figure is
# the median batch mean (min and max of the batch means beside it)
for ix in "$@"; do
	[ -f "$ix" ] || continue
	: >"$TMPDIR_OPEN.fs"; : >"$TMPDIR_OPEN.sq"
	for batch in 1 2 3 4 5; do
		t0=$(date +%s%N)
		i=0; while [ $i -lt $runs ]; do "$FS" info "$ix" >/dev/null; i=$((i + 1)); done
		t1=$(date +%s%N)
		i=0; while [ $i -lt $runs ]; do sqlite3 "$ix" "SELECT key, value FROM meta; SELECT * FROM saes;" >/dev/null; i=$((i + 1)); done
		t2=$(date +%s%N)
		echo $(( (t1 - t0) / runs / 1000 )) >>"$TMPDIR_OPEN.fs"
		echo $(( (t2 - t1) / runs / 1000 )) >>"$TMPDIR_OPEN.sq"
	done
	set -- $(stats3 <"$TMPDIR_OPEN.fs"); a=$1 amin=$2 amax=$3
	set -- $(stats3 <"$TMPDIR_OPEN.sq"); b=$1
	awk -v n="$(basename "$ix")" -v s="$(stat -c %s "$ix")" -v a="$a" -v b="$b" \
		'BEGIN { printf "%-40s %10s %12.2f %12.2f %7.2f\n", n, s, a / 1000, b / 1000, a / b }'
	ms() { awk -v x="$1" 'BEGIN { printf "%.2f", x / 1000 }'; }
	figure "open + info: $(basename "$ix")" ms "$(ms "$a")" "$(ms "$amin")" "$(ms "$amax")" "sqlite3 shell (meta, saes)" "$(ms "$b")" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')" "value<=" 100
done
rm -f "$TMPDIR_OPEN.fs" "$TMPDIR_OPEN.sq"
