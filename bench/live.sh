#!/bin/sh
# bench/live.sh: the live model on the demo index (a copy with the demo
# model attached): analysis latency for 1,000 bytes (tokenize, forward
# passes in windows, SAE encoding), next to the raw sgemm time of the same
# matrix shapes measured run by run in the same process (interleaved), the
# whole `featscope analyze --json` command, and generation tokens/s,
# plain and with one feature clamped. Short: a few seconds.
#   sh bench/live.sh [BUILDDIR]     (RUNS=15 by default)
set -eu
B=${FS_BUILDDIR:-${1:-$(pwd)}}
S=$(cd "$(dirname "$0")/.." && pwd)
. "$S/bench/lib.sh"
RUNS=${RUNS:-15}
[ -x "$B/bench/livebench" ] || make -C "$B" bench/livebench >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/fs-bench-live.XXXXXX")
trap 'rm -rf "$W"' EXIT
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin" "$W/"
"$B/featscope" attach "$W/demo.sqlite" --model "$W/demo-lm.bin" --sae "res4k=$W/demo-sae-res4k.bin" >/dev/null
"$B/bench/livebench" "$W/demo.sqlite" 1000 "$RUNS" >"$W/out"
cat "$W/out"
set -- $(sed -n 's/^analyze_ms //p' "$W/out"); a_med=$1 a_lo=$2 a_hi=$3
set -- $(sed -n 's/^sgemm_same_shapes_ms //p' "$W/out"); g_med=$1
ratio=$(sed -n 's/^analyze_over_sgemm //p' "$W/out")
printf 'analyze 1000 bytes: p50 %s ms (min %s, max %s); raw sgemm of the same shapes p50 %s ms; analyze/sgemm %sx (target <= 50 ms, <= 1.5x)\n' \
	"$a_med" "$a_lo" "$a_hi" "$g_med" "$ratio"
set -- $(sed -n 's/^analyze_cpu_ms //p' "$W/out"); c_med=$1
set -- $(sed -n 's/^sgemm_same_shapes_cpu_ms //p' "$W/out"); cg_med=$1
printf 'CPU time (all threads): analyze p50 %s ms, raw sgemm p50 %s ms, ratio %s (OPENBLAS_NUM_THREADS=1 makes the CPU time the single-core time)\n' \
	"$c_med" "$cg_med" "$(sed -n 's/^analyze_over_sgemm_cpu //p' "$W/out")"
# the whole command: process start, index open, hash and load of the
# weights, the analysis, label lookups and JSON
head -c 1000 "$S/data/README" >"$W/text"
i=0
: >"$W/cmd"
while [ $i -lt 7 ]; do
	t0=$(date +%s%N)
	"$B/featscope" analyze --json "$W/demo.sqlite" - <"$W/text" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 )) >>"$W/cmd"
	i=$((i + 1))
done
set -- $(stats3 <"$W/cmd")
printf 'featscope analyze --json, 1000 bytes, whole command: p50 %s us (min %s, max %s)\n' "$1" "$2" "$3"
figure "analyze 1000 B (live)" ms "$a_med" "$a_lo" "$a_hi" "raw sgemm" "$g_med" \
	"$(awk -v r="$ratio" 'BEGIN { printf "%.3f", 1 / r }')" "value<=" 50
figure "analyze over sgemm (live)" x "$ratio" - - - - - "value<=" 1.5
figure "generate tokens/s (live)" tok/s "$(sed -n 's/^generate_tokens_per_s //p' "$W/out")" - - - - - - -
figure "generate steered tokens/s (live)" tok/s "$(sed -n 's/^generate_steered_tokens_per_s //p' "$W/out")" - - - - - - -
