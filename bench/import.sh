#!/bin/sh
# bench/import.sh: importing a large Neuronpedia-style export. Generates a
# synthetic export (gzip JSON Lines, features/explanations/activations) of
# about BENCH_GB gigabytes of JSON (default 1) under a scratch folder,
# imports it with `featscope build`, and prints records/s, MB/s (of JSON
# and of gzip) and peak RSS, next to the peer `gzip -dc | wc -l` (the bare
# cost of reading the same files) as a ratio. Everything generated is
# deleted at the end. Not part of `make check`.
# Usage: bench/import.sh   (from the build folder; FS_BUILDDIR, BENCH_GB, TMPDIR)
set -eu
B=${FS_BUILDDIR:-$(pwd)}
FS=$B/featscope
GEN=$B/tests/import-fix
GB=${BENCH_GB:-1}
[ -x "$FS" ] || { echo "bench/import.sh: build featscope first" >&2; exit 2; }
[ -x "$GEN" ] || make -C "$B" tests/import-fix >/dev/null
[ -x /usr/bin/time ] || { echo "bench/import.sh: needs /usr/bin/time (GNU time)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/fs-bench-import.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

# ~1.09 kB of JSON per activation row (64 tokens); 200 rows per feature
ROWS=200
NFEAT=$(awk -v gb="$GB" -v r="$ROWS" 'BEGIN { printf "%d", gb * 1e9 / (1090 * r) + 1 }')
echo "generating: $NFEAT features x $ROWS activation rows ..."
"$GEN" neuronpedia "$W/export" "$NFEAT" "$ROWS"
GZ_BYTES=$(du -cb "$W"/export/*/*.gz | tail -1 | cut -f1)
JSON_BYTES=$(gzip -dc "$W"/export/*/*.gz | wc -c)
RECORDS=$(gzip -dc "$W"/export/*/*.gz | wc -l)
echo "export: $RECORDS records, $(awk -v b="$JSON_BYTES" 'BEGIN{printf "%.2f", b/1e9}') GB of JSON, $(awk -v b="$GZ_BYTES" 'BEGIN{printf "%.0f", b/1e6}') MB gzip"

# timed runs: seconds (elapsed), peak RSS in kB and CPU seconds (user +
# system, children included) from GNU time; the CPU figure is the steadier
# one on a shared machine
run() { /usr/bin/time -f '%e %M %U %S' -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }; cat "$W/time"; }

sync
set -- $(run sh -c "gzip -dc '$W'/export/*/*.gz | wc -l")
PEER_S=$1
PEER_CPU=$(awk -v u="$3" -v s="$4" 'BEGIN{print u + s}')
set -- $(run "$FS" build --no-progress -o "$W/bench.sqlite" "$W/export")
OURS_S=$1
OURS_KB=$2
OURS_CPU=$(awk -v u="$3" -v s="$4" 'BEGIN{print u + s}')
IDX_BYTES=$(wc -c <"$W/bench.sqlite")

awk -v s="$OURS_S" -v p="$PEER_S" -v r="$RECORDS" -v j="$JSON_BYTES" -v g="$GZ_BYTES" \
    -v kb="$OURS_KB" -v ix="$IDX_BYTES" -v nf="$NFEAT" -v sc="$OURS_CPU" -v pc="$PEER_CPU" 'BEGIN {
	if (s <= 0) s = 0.01; if (p <= 0) p = 0.01; if (sc <= 0) sc = 0.01; if (pc <= 0) pc = 0.01
	printf "featscope build (neuronpedia): %.1f s wall, %.1f s CPU, %.0f records/s, %.1f MB/s of JSON, %.1f MB/s of gzip, peak RSS %.0f MB\n",
		s, sc, r / s, j / 1e6 / s, g / 1e6 / s, kb / 1024
	printf "  per CPU second:              %.0f records/s, %.1f MB/s of JSON\n", r / sc, j / 1e6 / sc
	printf "peer gzip -dc | wc -l:         %.1f s wall, %.1f s CPU, %.0f records/s, %.1f MB/s of JSON\n", p, pc, r / p, j / 1e6 / p
	printf "ratio featscope / peer:        %.1fx wall, %.1fx CPU (the cost of just decompressing = 1)\n", s / p, sc / pc
	printf "index: %.0f MB for %d features\n", ix / 1e6, nf
}'
. "$(dirname "$0")/lib.sh"
figure "import Neuronpedia export ($RECORDS records), wall" s "$OURS_S" - - "gzip -dc | wc -l" "$PEER_S" \
	"$(awk -v s="$OURS_S" -v p="$PEER_S" 'BEGIN { printf "%.2f", p / (s > 0 ? s : 0.01) }')" "ratio>=" 0.5
