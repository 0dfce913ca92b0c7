#!/bin/sh
# bench/grep.sh: regex scan throughput of `featscope grep` (PCRE2 JIT over
# the index's text chunks, both cores, including the per-feature
# statistics and the ranking) next to ripgrep (`rg -c PATTERN FILE`) on the
# same text dumped to a plain file, one context per line. Prints, for each
# pattern, the median wall time of RUNS runs of each tool (alternating, page
# cache warm), MB/s of text and the ratio featscope/ripgrep (>= 1.0 is the
# target).
#
# usage: bench/grep.sh [NCTX]      (run from the build directory)
#   NCTX       contexts in the generated index (default 1000000, ~195 MB)
#   RUNS       runs per tool and pattern (default 5)
#   BENCH_DIR  where the index and the dump live (default $TMPDIR/featscope-bench)
#   FS_ENV     extra environment for featscope, e.g. OPENBLAS_NUM_THREADS=1
set -eu
B=${B:-$(pwd)}
NCTX=${1:-1000000}
RUNS=${RUNS:-5}
D=${BENCH_DIR:-${TMPDIR:-/tmp}/featscope-bench}
FS=$B/featscope
command -v rg >/dev/null || { echo "grep.sh: ripgrep (rg) is not installed" >&2; exit 1; }
[ -x "$B/bench/fsbench" ] || make -C "$B" bench/fsbench >/dev/null
mkdir -p "$D"
IX=$D/big-$NCTX.sqlite TXT=$D/big-$NCTX.txt
# (re)made when missing or in a format this featscope does not read
if [ ! -f "$IX" ] || ! "$B/featscope" info "$IX" >/dev/null 2>&1; then
	rm -f "$IX"
	echo "generating $IX ($NCTX contexts)..." >&2
	"$B/bench/fsbench" gen "$IX" "$NCTX"
fi
[ -f "$TXT" ] && [ "$TXT" -nt "$IX" ] || "$B/bench/fsbench" dump "$IX" "$TXT"
BYTES=$(wc -c <"$TXT")
cat "$IX" "$TXT" >/dev/null # warm the page cache

now() { date +%s%N; }
# median of the numbers on stdin
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }

echo "text: $BYTES bytes in $NCTX contexts; $(nproc) CPUs; load:$(cut -d' ' -f1-3 /proc/loadavg)"
echo "featscope grep $IX (threads: all CPUs); rg -c on $TXT; median of $RUNS"
printf '%-24s %10s %10s %10s %10s %7s\n' pattern "fs s" "fs MB/s" "rg s" "rg MB/s" ratio
for pat in '[ACGT]{20,}' '\b(def|class)\s+\w+' '(?i)golden gate' '\p{Hangul}+'; do
	: >"$D/.fs" ; : >"$D/.rg"
	for i in $(seq "$RUNS"); do
		if [ -n "${FS_ENV:-}" ]; then
			t0=$(now); env $FS_ENV "$FS" grep "$IX" "$pat" >/dev/null; t1=$(now)
		else # no env(1) in between: it would add a process start to our side
			t0=$(now); "$FS" grep "$IX" "$pat" >/dev/null; t1=$(now)
		fi
		echo $((t1 - t0)) >>"$D/.fs"
		t0=$(now); rg -c "$pat" "$TXT" >/dev/null; t1=$(now)
		echo $((t1 - t0)) >>"$D/.rg"
	done
	fs=$(median <"$D/.fs") rgt=$(median <"$D/.rg")
	PAT=$pat awk -v f="$fs" -v r="$rgt" -v b="$BYTES" 'BEGIN{
		fm = b / (f / 1e9) / 1e6; rm = b / (r / 1e9) / 1e6;
		printf "%-24s %10.3f %10.0f %10.3f %10.0f %7.2f\n", ENVIRON["PAT"], f / 1e9, fm, r / 1e9, rm, fm / rm }'
done
rm -f "$D/.fs" "$D/.rg"
