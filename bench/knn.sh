#!/bin/sh
# bench/knn.sh: decoder-geometry speed next to its peer, raw OpenBLAS sgemm.
# Prints one table: raw cblas_sgemm GFLOP/s (4096 x 4096 x 768, measured
# before and after), exact top-32 cosine neighbours of 65,536 x 768 random
# unit rows (wall time and effective GFLOP/s counting n^2 * d flops, i.e. one
# triangle of the similarity matrix, which is what the symmetric search needs),
# their ratio; then, measured right after under the same load, the upper
# triangle's products in OpenBLAS-threaded 1024 x 4096 sgemm calls with no
# selection (the exact search runs its own one-threaded tiles, one per
# core, so it can beat these: the "overhead" is then negative; twice that
# time is a plain full n x n pass, the speedup of the symmetric search over
# it is printed); and the approximate (IVF) mode's time and
# recall@10 against the exact search on clustered rows (and on the
# structureless random rows).
# Usage: bench/knn.sh [N [D]]   (run from the build directory, or set FS_BUILDDIR)
set -eu
B=${FS_BUILDDIR:-$(pwd)}
KB=$B/bench/knnbench
[ -x "$KB" ] || make -C "$B" bench/knnbench >/dev/null
N=${1:-65536}
D=${2:-768}
K=32
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

r1=$("$KB" sgemm 4096 "$D" 3)
ex=$("$KB" exact "$N" "$D" "$K")
r2=$("$KB" sgemm 4096 "$D" 3)
ap=$("$KB" approx "$N" "$D" "$K")
raw1=$(get "$r1" sgemm_gflops); raw2=$(get "$r2" sgemm_gflops)
es=$(get "$ex" exact_s); eg=$(get "$ex" exact_gflops)
awk -v raw1="$raw1" -v raw2="$raw2" -v es="$es" -v eg="$eg" -v n="$N" -v d="$D" \
    -v ps="$(get "$ex" plain_s)" -v pg="$(get "$ex" plain_gflops)" \
    -v ras="$(get "$ex" random_approx_s)" -v rrec="$(get "$ex" random_recall10)" \
    -v ces="$(get "$ap" clustered_exact_s)" -v cas="$(get "$ap" approx_s)" \
    -v crec="$(get "$ap" recall10)" -v thr="$(get "$r1" threads)" 'BEGIN {
	raw = (raw1 + raw2) / 2
	printf "%-58s %12s\n", "what (" n " x " d ", k=32, " thr " OpenBLAS threads)", "figure"
	printf "%-58s %12.1f\n", "raw cblas_sgemm 4096x4096x" d " GFLOP/s (before)", raw1
	printf "%-58s %12.1f\n", "raw cblas_sgemm 4096x4096x" d " GFLOP/s (after)", raw2
	printf "%-58s %12.1f\n", "one full sgemm pass n x n x d at that rate, s", 2 * n * n * d / raw / 1e9
	printf "%-58s %12.2f\n", "exact top-32, random unit rows, wall s", es
	printf "%-58s %12.1f\n", "exact effective GFLOP/s (n^2*d flops: one triangle)", eg
	printf "%-58s %12.2f\n", "ratio effective / raw sgemm", eg / raw
	printf "%-58s %12.2f\n", "threaded 1024x4096 sgemm blocks, no selection, wall s", ps
	printf "%-58s %12.1f\n", "  their GFLOP/s (n^2*d flops)", pg
	printf "%-58s %12.2f\n", "exact / those blocks - 1 (negative: exact is faster)", es / ps - 1
	printf "%-58s %12.2f\n", "plain full n x n pass (2 x blocks alone), s", 2 * ps
	printf "%-58s %12.2f\n", "speedup of exact top-32 over the plain full pass", 2 * ps / es
	printf "%-58s %12.2f\n", "approx (IVF) on clustered rows, wall s", cas
	printf "%-58s %12.2f\n", "exact on the same clustered rows, wall s", ces
	printf "%-58s %12.4f\n", "approx recall@10 vs exact, clustered rows", crec
	printf "%-58s %12.2f\n", "approx (IVF) on random rows, wall s", ras
	printf "%-58s %12.4f\n", "approx recall@10 vs exact, random rows (no structure)", rrec
}'

# Run after run, the ratio to raw sgemm is taken pair by pair: raw sgemm
# right before and right after each exact search (same process sequence,
# same load), KNN_RUNS pairs (default 3, the first is the one above); the
# table row is the median ratio with its min and max.
. "$(dirname "$0")/lib.sh"
RUNS=${KNN_RUNS:-3}
ratio_of() { awk -v e="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.3f", e / ((a + b) / 2) }'; }
echo "$(ratio_of "$eg" "$raw1" "$raw2")" >"${TMPDIR:-/tmp}/knn-ratios.$$"
i=1
while [ "$i" -lt "$RUNS" ]; do
	a=$(get "$("$KB" sgemm 4096 "$D" 3)" sgemm_gflops)
	e=$(get "$("$KB" exact "$N" "$D" "$K")" exact_gflops)
	b=$(get "$("$KB" sgemm 4096 "$D" 3)" sgemm_gflops)
	echo "$(ratio_of "$e" "$a" "$b")" >>"${TMPDIR:-/tmp}/knn-ratios.$$"
	i=$((i + 1))
done
set -- $(stats3 <"${TMPDIR:-/tmp}/knn-ratios.$$")
rm -f "${TMPDIR:-/tmp}/knn-ratios.$$"
printf "%-58s %12s\n" "ratio effective / raw sgemm, $RUNS interleaved pairs: median (min max)" "$1 ($2 $3)"
figure "exact top-32 neighbours $N x $D (effective/raw sgemm)" ratio "$1" "$2" "$3" "raw sgemm, interleaved" 1 "$1" "ratio>=" 0.7
