#!/bin/sh
# bench/compare.sh: the matching of featscope compare next to its peer,
# one raw OpenBLAS sgemm of the same shape. Matches 16,384 x 4,096
# decoder rows of d_model 256 (the wide side planted as noisy copies of
# the narrow one's directions): exact top-k both ways, mutual pairs and
# the baselines, as cmp_match_run does for `featscope compare`; the raw
# sgemm (16384 x 4096 x 256, one call) is timed in the same process, run
# by run interleaved with the matching, so both see the same load.
# Prints both medians and the ratio raw / match (the target: >= 0.7), the
# per-run ratios' median, min and max, and the bound the baselines put on
# the ratio: they add CMP_BASELINE_DIRS (2048) random directions against
# both sides, 2048 * (NA + NB) dot products beside the NA * NB of the peer.
# Usage: bench/compare.sh [NA [NB [D]]]   (from the build folder; RUNS=5)
set -eu
B=${FS_BUILDDIR:-$(pwd)}
S=$(cd "$(dirname "$0")/.." && pwd)
. "$S/bench/lib.sh"
CB=$B/bench/cmpbench
[ -x "$CB" ] || make -C "$B" bench/cmpbench >/dev/null
NA=${1:-16384}
NB=${2:-4096}
D=${3:-256}
RUNS=${RUNS:-5}
out=$("$CB" "$NA" "$NB" "$D" "$RUNS")
echo "$out" | grep '^run='
last=$(echo "$out" | tail -1)
get() { echo "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
rm=$(get raw_med); mm=$(get match_med)
ratio=$(awk -v r="$rm" -v m="$mm" 'BEGIN { printf "%.2f", r / m }')
awk -v na="$NA" -v nb="$NB" -v d="$D" -v rm="$rm" -v mm="$mm" -v gf="$(get gflop)" \
    -v ratio="$ratio" -v runs="$RUNS" -v mu="$(get mutual)" -v bd=2048 'BEGIN {
	printf "%-60s %10s\n", "compare: match " na " x " nb ", d " d " (median of " runs ")", "figure"
	printf "%-60s %10.3f\n", "raw sgemm " na "x" nb "x" d ", s", rm
	printf "%-60s %10.1f\n", "  its GFLOP/s", gf / rm
	printf "%-60s %10.3f\n", "matching (top-k both ways, mutual, baselines), s", mm
	printf "%-60s %10.1f\n", "  effective GFLOP/s (na*nb*d*2 flops)", gf / mm
	printf "%-60s %10s\n", "ratio raw sgemm time / matching time (target >= 0.7)", ratio
	printf "%-60s %10d\n", "mutual best pairs found", mu
	printf "%-60s %10s\n", "flop bound: product / (product + baselines of " bd " dirs)", \
		sprintf("%.2f", na * nb / (na * nb + bd * (na + nb)))
}'
echo "per-run ratio raw/match, back to back: median $(get ratio_med) (min $(get ratio_min) max $(get ratio_max))"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
figure "compare: match $NA x $NB features, d $D" s "$mm" "$(get match_min)" "$(get match_max)" \
	"raw sgemm, same shape" "$rm" "$ratio" "ratio>=" 0.7
