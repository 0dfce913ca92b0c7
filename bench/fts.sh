#!/bin/sh
# bench/fts.sh: full-text query latency over 1M contexts: featscope's
# index_search_contexts (FTS5 MATCH, rowid order, LIMIT 50; the query
# behind `featscope search`) timed per call by bench/fsbench (p50, p99,
# mean), next to the same SQL run N times in one sqlite3 shell process
# (mean per query: the shell's own .timer only has millisecond
# resolution). Queries: a common word, a rare word and a phrase. Then
# substring search, a hit in DNA, a rare hit and a miss, next to ripgrep.
# Targets: p50 <= 5 ms, p99 <= 20 ms.
#
# usage: bench/fts.sh [NCTX]       (run from the build directory)
#   NCTX       contexts in the generated index (default 1000000; shared
#              with bench/grep.sh)
#   RUNS       queries per measurement (default 1000)
#   BENCH_DIR  where the index lives (default $TMPDIR/featscope-bench)
#   COMMON RARE PHRASE   the three queries (defaults suit the generated index)
set -eu
B=${B:-$(pwd)}
NCTX=${1:-1000000}
RUNS=${RUNS:-1000}
D=${BENCH_DIR:-${TMPDIR:-/tmp}/featscope-bench}
COMMON=${COMMON:-the} RARE=${RARE:-absence} PHRASE=${PHRASE:-'"of the"'}
command -v sqlite3 >/dev/null || { echo "fts.sh: the sqlite3 shell is not installed" >&2; exit 1; }
[ -x "$B/bench/fsbench" ] || make -C "$B" bench/fsbench >/dev/null
mkdir -p "$D"
IX=$D/big-$NCTX.sqlite
# (re)made when missing or in a format this featscope does not read
if [ ! -f "$IX" ] || ! "$B/featscope" info "$IX" >/dev/null 2>&1; then
	rm -f "$IX"
	echo "generating $IX ($NCTX contexts)..." >&2
	"$B/bench/fsbench" gen "$IX" "$NCTX"
fi
cat "$IX" >/dev/null # warm the page cache

. "$(dirname "$0")/lib.sh"
now() { date +%s%N; }
# Mean ms per query of RUNS copies of one statement in one sqlite3 process,
# less the same process running one copy (start-up and schema load).
shell_mean() {
	q=$(printf '%s' "$1" | sed "s/'/''/g")
	sql="SELECT rowid FROM ctx_fts WHERE ctx_fts MATCH '$q' ORDER BY rowid LIMIT 50;"
	awk -v s="$sql" -v n="$RUNS" 'BEGIN{print ".output /dev/null"; for (i = 0; i < n; i++) print s}' >"$D/.many.sql"
	awk -v s="$sql" 'BEGIN{print ".output /dev/null"; print s}' >"$D/.one.sql"
	sqlite3 -readonly "$IX" <"$D/.one.sql" # warm
	t0=$(now); sqlite3 -readonly "$IX" <"$D/.one.sql"; t1=$(now)
	sqlite3 -readonly "$IX" <"$D/.many.sql"; t2=$(now)
	awk -v a=$((t1 - t0)) -v b=$((t2 - t1)) -v n="$RUNS" 'BEGIN{v = (b - a) / (n - 1) / 1e6; printf "%.4f", v < 0 ? 0 : v}'
}

echo "index: $IX ($(sqlite3 -readonly "$IX" 'SELECT count(*) FROM contexts') contexts); $RUNS queries each; load:$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %8s %9s %9s %9s %12s %7s\n' query hits "p50 ms" "p99 ms" "mean ms" "sqlite3 ms" ratio
for q in "$COMMON" "$RARE" "$PHRASE"; do
	set -- $("$B/bench/fsbench" fts "$IX" "$RUNS" 50 "$q")
	p50=$1 p99=$2 hits=$3 mean=$4
	sh=$(shell_mean "$q")
	Q=$q awk -v h="$hits" -v a="$p50" -v b="$p99" -v m="$mean" -v s="$sh" 'BEGIN{
		printf "%-22s %8d %9.4f %9.4f %9.4f %12.4f %7.2f\n", ENVIRON["Q"], h, a, b, m, s, (m > 0 ? s / m : 0) }'
	r=$(awk -v s="$sh" -v m="$mean" 'BEGIN { printf "%.2f", (m > 0 ? s / m : 0) }')
	figure "fts '$q' p50" ms "$p50" - - "sqlite3 shell (mean)" "$sh" "$r" "value<=" 5
	figure "fts '$q' p99" ms "$p99" - - - - - "value<=" 20
done
echo "ratio: sqlite3 shell mean / featscope mean (>= 1: featscope is at least as fast)"
# Substring search (grep_substring: the index's text-gram filter, then the
# byte-pair finder + PCRE2 over the chunks left, LIMIT 50) for text that is
# not words. Its peer: ripgrep on the same text dumped one context per line
# (bench/grep.sh's dump), `rg -F -m 50 -c` (a fixed string, stopping at the
# 50th matching line; for an absent string it reads all the text). Runs
# alternate: each featscope figure is the mean of 2 searches in one process
# (`fsbench sub`, after an untimed one), then one rg run. p50/p99/max are
# over SUBRUNS such figures; rg's is the median.
SUBRUNS=${SUBRUNS:-50}
TXT=$D/big-$NCTX.txt
[ -f "$TXT" ] && [ "$TXT" -nt "$IX" ] || "$B/bench/fsbench" dump "$IX" "$TXT"
command -v rg >/dev/null || { echo "fts.sh: ripgrep (rg) is not installed" >&2; exit 1; }
printf '%-22s %8s %9s %9s %9s %9s %9s\n' substring hits "p50 ms" "p99 ms" "max ms" "rg ms" "x rg"
for q in "${SUB1:-GATTACA}" "${SUB2:-->next}" "${SUB3:-zqxjzqxj}"; do
	: >"$D/.sub"; : >"$D/.subrg"
	for i in $(seq "$SUBRUNS"); do
		set -- $("$B/bench/fsbench" sub "$IX" 2 50 "$q")
		echo "$4" >>"$D/.sub"; hits=$3
		t0=$(now); rg -F -m 50 -c -- "$q" "$TXT" >/dev/null || [ $? -eq 1 ]; t1=$(now)
		echo $((t1 - t0)) >>"$D/.subrg"
	done
	set -- $(sort -n "$D/.sub" | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1
		print v[int((NR + 1) / 2)], v[i], v[1], v[NR] }')
	p50=$1 p99=$2 lo=$3 hi=$4
	rgms=$(sort -n "$D/.subrg" | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] / 1e6 }')
	r=$(awk -v a="$rgms" -v b="$p50" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	Q=$q awk -v h="$hits" -v a="$p50" -v b="$p99" -v m="$hi" -v g="$rgms" -v r="$r" 'BEGIN{
		printf "%-22s %8d %9.4f %9.4f %9.4f %9.3f %9s\n", ENVIRON["Q"], h, a, b, m, g, r }'
	figure "substring '$q' p50" ms "$p50" "$lo" "$hi" "rg -F -m 50 (1 file)" "$rgms" "$r" "value<=" 5
	figure "substring '$q' p99" ms "$p99" - - - - - "value<=" 20
done
echo "x rg: rg's median / featscope's p50 (> 1: featscope is faster)"
rm -f "$D/.sub" "$D/.subrg"
rm -f "$D/.many.sql" "$D/.one.sql"
