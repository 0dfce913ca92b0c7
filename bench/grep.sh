#!/bin/sh
# bench/grep.sh: regex scan throughput of `featscope grep` (PCRE2 JIT over
# the index's text chunks, both cores, including the per-feature
# statistics and the ranking) next to ripgrep (`rg -c PATTERN FILE`) on the
# same text dumped to a plain file, one context per line. Prints, for each
# pattern, the median wall time of RUNS runs of each tool (alternating, page
# cache warm), MB/s of text and the ratio featscope/ripgrep (>= 1.0 is the
# target). The last pattern matches nothing: a plain string whose chunks
# the index's text-gram filter rules out (ripgrep reads all the text; its
# exit status 1, no match, is no error here).
# Also ripgrep at equal cores (the text split into one file per
# thread, rg -c -j N) and rg -P (PCRE2, the same engine). With BENCH_TABLE
# set, each figure is also a row of the table bench/run prints.
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
# ripgrep searches one file with one thread: for a peer at equal cores the
# same text is also split into as many files as featscope uses threads
# (one per CPU), searched with `rg -c -j N`; `rg -P` uses PCRE2, the same
# regex engine as featscope.
NT=$(nproc)
if [ ! -f "$D/split-$NCTX.$NT/done" ] || [ "$TXT" -nt "$D/split-$NCTX.$NT/done" ]; then
	rm -rf "$D/split-$NCTX.$NT"; mkdir -p "$D/split-$NCTX.$NT"
	split -n "l/$NT" "$TXT" "$D/split-$NCTX.$NT/part."
	: >"$D/split-$NCTX.$NT/done"
fi
PARTS=$(ls "$D/split-$NCTX.$NT"/part.*)
cat "$IX" "$TXT" $PARTS >/dev/null # warm the page cache
. "$(dirname "$0")/lib.sh"

now() { date +%s%N; }
# median of the numbers on stdin
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }

echo "text: $BYTES bytes in $NCTX contexts; $NT CPUs; load:$(cut -d' ' -f1-3 /proc/loadavg)"
echo "featscope grep $IX ($NT threads); rg -c on one file (1 thread), on $NT files (-j $NT), and rg -P (PCRE2, $NT files); median of $RUNS, runs alternating"
printf '%-24s %9s %9s %9s %9s %9s %8s %8s %8s\n' pattern "fs s" "fs MB/s" "rg s" "rg-j s" "rg-P s" "x rg" "x rg-j" "x rg-P"
for pat in '[ACGT]{20,}' '\b(def|class)\s+\w+' '(?i)golden gate' '\p{Hangul}+' 'zqxjzqxj'; do
	: >"$D/.fs"; : >"$D/.rg"; : >"$D/.rgj"; : >"$D/.rgp"
	for i in $(seq "$RUNS"); do
		if [ -n "${FS_ENV:-}" ]; then
			t0=$(now); env $FS_ENV "$FS" grep "$IX" "$pat" >/dev/null; t1=$(now)
		else # no env(1) in between: it would add a process start to our side
			t0=$(now); "$FS" grep "$IX" "$pat" >/dev/null; t1=$(now)
		fi
		echo $((t1 - t0)) >>"$D/.fs"
		t0=$(now); rg -c "$pat" "$TXT" >/dev/null || [ $? -eq 1 ]; t1=$(now)
		echo $((t1 - t0)) >>"$D/.rg"
		t0=$(now); rg -c -j "$NT" "$pat" $PARTS >/dev/null || [ $? -eq 1 ]; t1=$(now)
		echo $((t1 - t0)) >>"$D/.rgj"
		# rg -P is slow on some patterns (seconds): fewer runs of it
		if [ "$i" -le 3 ]; then
			t0=$(now); rg -c -P -j "$NT" "$pat" $PARTS >/dev/null || [ $? -eq 1 ]; t1=$(now)
			echo $((t1 - t0)) >>"$D/.rgp"
		fi
	done
	set -- $(stats3 <"$D/.fs"); fs=$1 fsmin=$2 fsmax=$3
	rgt=$(median <"$D/.rg") rgj=$(median <"$D/.rgj") rgp=$(median <"$D/.rgp")
	PAT=$pat awk -v f="$fs" -v r="$rgt" -v j="$rgj" -v q="$rgp" -v b="$BYTES" 'BEGIN{
		printf "%-24s %9.3f %9.0f %9.3f %9.3f %9.3f %8.2f %8.2f %8.2f\n", ENVIRON["PAT"], f / 1e9,
			b / (f / 1e9) / 1e6, r / 1e9, j / 1e9, q / 1e9, r / f, j / f, q / f }'
	ms() { awk -v x="$1" 'BEGIN { printf "%.1f", x / 1e6 }'; }
	rat() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
	figure "grep $pat" ms "$(ms "$fs")" "$(ms "$fsmin")" "$(ms "$fsmax")" "rg -c -j$NT ($NT files)" "$(ms "$rgj")" "$(rat "$rgj" "$fs")" "ratio>=" 1.0
	figure "grep $pat" ms "$(ms "$fs")" "$(ms "$fsmin")" "$(ms "$fsmax")" "rg -c (1 file)" "$(ms "$rgt")" "$(rat "$rgt" "$fs")" - -
	figure "grep $pat" ms "$(ms "$fs")" "$(ms "$fsmin")" "$(ms "$fsmax")" "rg -P -j$NT (PCRE2)" "$(ms "$rgp")" "$(rat "$rgp" "$fs")" - -
done
echo "x TOOL: that tool's time / featscope's (> 1: featscope is faster); target >= 1.0 against rg -j at equal cores"
rm -f "$D/.fs" "$D/.rg" "$D/.rgj" "$D/.rgp"
