#!/bin/sh
# bench/hf.sh: the Hugging Face architectures (src/live/arch_hf.c) on
# random bf16 checkpoints of real shapes, made once by bench/hf_gen.py
# under $BENCH_DIR (default bench/ in the build folder; hf-*/ is
# git-ignored):
#   - Llama 3.2 1B's shapes (hidden 2048, intermediate 8192, 32 heads / 8
#     KV, vocab 128256, tied), its first LAYERS blocks (default 4 of 16;
#     all the matrix shapes, a quarter of the bytes): a forward pass of T
#     tokens with logits, next to raw sgemm of the same shapes (target
#     ratio >= 0.6) and to PyTorch (python3-torch, float32, the reference
#     of tests/hf_ref.py on the same weights and threads; target >= 1.0),
#     the three alternated for ROUNDS rounds (default 7), each loaded
#     once; KV-cached generation next to the memory-bandwidth floor (the
#     same threads reading a token's weight bytes from a 1 GiB buffer with
#     vector loads, bench/membw.c, after each token; target >= 0.7);
#     p50, p99 and max of each, ratios of the p50s;
#   - with GEMMA=1, Gemma-2-2B's shape (26 layers, hidden 2304, 8 heads / 4
#     KV, head_dim 256, intermediate 9216, vocab 256000; 5.2 GB): load
#     time, resident memory after the load and after analyze of 256 tokens
#     (target: at most 1.2x the weight bytes plus the KV cache), the
#     forward pass of 256 tokens, generation tokens/s.
# Threads: OPENBLAS_NUM_THREADS (the vm_parallel threads follow it) and
# PyTorch's set_num_threads, both $THREADS (default 2).
# Usage: bench/hf.sh [T [N [LAYERS]]]  (from the build directory, or set FS_BUILDDIR)
set -eu
B=${FS_BUILDDIR:-$(pwd)}
S=${FS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
HB=$B/bench/hfbench
[ -x "$HB" ] || make -C "$B" bench/hfbench >/dev/null
T=${1:-128}
N=${2:-32}
LAYERS=${3:-4}
THREADS=${THREADS:-2}
export OPENBLAS_NUM_THREADS=$THREADS
. "$S/bench/lib.sh"
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
DIR=${BENCH_DIR:-$B/bench}
M=$DIR/hf-llama-3.2-1b-${LAYERS}l
if [ ! -f "$M/config.json" ]; then
	echo "bench/hf.sh: making $M (once)" >&2
	/usr/bin/python3 "$S/bench/hf_gen.py" make "$M" llama-3.2-1b "$LAYERS"
fi
wb=$(cat "$M"/*.safetensors | wc -c)
# featscope (hfbench serve: its forward pass, then raw sgemm) and PyTorch
# (hf_gen.py serve) each loaded once and kept waiting on a pipe; ROUNDS
# rounds each run one of each in turn, so all three see the same load
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/fi" "$tmp/fo" "$tmp/ti" "$tmp/to"
"$HB" serve "$M" "$T" <"$tmp/fi" >"$tmp/fo" &
/usr/bin/python3 "$S/bench/hf_gen.py" serve "$M" "$T" "$THREADS" <"$tmp/ti" >"$tmp/to" &
exec 3>"$tmp/fi" 4<"$tmp/fo" 5>"$tmp/ti" 6<"$tmp/to"
read -r f <&4
read -r x <&6
r=0
while [ "$r" -lt "${ROUNDS:-7}" ]; do
	echo go >&3
	read -r x <&4
	get "$x" forward_s >>"$tmp/fs"
	get "$x" sgemm_s >>"$tmp/ss"
	echo go >&5
	read -r x <&6
	get "$x" torch_s >>"$tmp/ts"
	r=$((r + 1))
done
exec 3>&- 5>&-
read -r x <&4
rss_end=$(get "$x" rss_end_mb)
exec 4<&- 6<&-
wait
# p50, p99 (nearest rank) and max of a file of numbers
p3() { sort -n "$1" | awk '{ v[NR] = $1 } END { i = int(0.99 * NR + 0.999999); print v[int((NR + 1) / 2)], v[i], v[NR] }'; }
set -- $(p3 "$tmp/fs") $(p3 "$tmp/ss") $(p3 "$tmp/ts")
sr=$(awk -v a="$4" -v b="$1" 'BEGIN { printf "%.2f", a / b }')
tr=$(awk -v a="$7" -v b="$1" 'BEGIN { printf "%.2f", a / b }')
g=$("$HB" generate "$M" "$N" "$wb")
printf 'Llama 3.2 1B shapes, %d of 16 blocks, bf16 (%d MB), threads %s, %s rounds alternated, load average %s\n' \
	"$LAYERS" $((wb >> 20)) "$THREADS" "${ROUNDS:-7}" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'load %ss, resident %s MB (%s MB after the runs); OpenBLAS kernels %s; cblas_sbgemm (bf16 in, f32 out) %s\n' \
	"$(get "$f" load_s)" "$(get "$f" rss_load_mb)" "$rss_end" "$(get "$f" blas_core)" \
	"$([ "$(get "$f" sbgemm)" = 1 ] && echo "present, not yet measured" || echo "absent from this OpenBLAS (built without BUILD_BFLOAT16): bf16 products convert to f32 for sgemm")"
printf 'forward %d tokens (p50 p99 max): featscope %s %s %s s; raw sgemm, same shapes: %s %s %s s; ratio %s (target >= 0.6)\n' \
	"$T" "$1" "$2" "$3" "$4" "$5" "$6" "$sr"
printf 'PyTorch float32, same weights and threads: %s %s %s s; ratio %s (target >= 1.0)\n' "$7" "$8" "$9" "$tr"
printf 'generation (KV cache), tokens/s of the median, p99 and slowest token: %s %s %s; floor (%s GB/s over %s MB a token, read after each token): %s %s %s; ratio %s (target >= 0.7)\n' \
	"$(get "$g" tokens_per_s)" "$(get "$g" tokens_per_s_p99)" "$(get "$g" tokens_per_s_min)" \
	"$(get "$g" bandwidth_gbs)" "$(get "$g" weight_mb)" "$(get "$g" floor_tokens_per_s)" \
	"$(get "$g" floor_tokens_per_s_p99)" "$(get "$g" floor_tokens_per_s_min)" "$(get "$g" ratio)"
figure "Llama 3.2 1B shapes forward $T tokens, vs raw sgemm same shapes" s "$1" "$(sort -n "$tmp/fs" | head -n1)" \
	"$3" "raw sgemm" "$4" "$sr" "ratio>=" 0.6
figure "Llama 3.2 1B shapes forward $T tokens, vs PyTorch" s "$1" "$(sort -n "$tmp/fs" | head -n1)" "$3" PyTorch "$7" \
	"$tr" "ratio>=" 1.0
figure "Llama 3.2 1B shapes KV-cached generation, vs bandwidth floor" tokens/s "$(get "$g" tokens_per_s)" \
	"$(get "$g" tokens_per_s_max)" "$(get "$g" tokens_per_s_min)" "memory floor" "$(get "$g" floor_tokens_per_s)" \
	"$(get "$g" ratio)" "ratio>=" 0.7
[ "${GEMMA:-0}" = 1 ] || exit 0
G=$DIR/hf-gemma-2-2b
if [ ! -f "$G/config.json" ]; then
	echo "bench/hf.sh: making $G (once, 5.2 GB)" >&2
	/usr/bin/python3 "$S/bench/hf_gen.py" make "$G" gemma-2-2b
fi
gb=$(cat "$G"/*.safetensors | wc -c)
f=$("$HB" forward "$G" 256 1)
g=$("$HB" generate "$G" "$N" "$gb")
# the KV cache of the window run: 2 x 26 layers x 4 KV heads x 256 x ctx floats
kv=$(( 2 * 26 * 4 * 256 * 4 * $("$B/tests/hf-tool" load "$G" 2>/dev/null | sed -n 's/.* ctx //p') ))
lim=$(( (gb * 12 / 10 + kv) >> 20 ))
printf 'Gemma-2-2B shape, bf16 (%d MB): load %ss, resident %s MB after the load, %s MB after analyze of 256 tokens (limit %s MB: 1.2x weights + KV cache); forward 256 tokens %ss; generation %s tokens/s (floor %s)\n' \
	$((gb >> 20)) "$(get "$f" load_s)" "$(get "$f" rss_load_mb)" "$(get "$f" rss_end_mb)" "$lim" \
	"$(get "$f" forward_s)" "$(get "$g" tokens_per_s)" "$(get "$g" floor_tokens_per_s)"
figure "Gemma-2-2B shape bf16: load" s "$(get "$f" load_s)" "$(get "$f" load_s)" "$(get "$f" load_s)" - - - - -
figure "Gemma-2-2B shape bf16: resident after analyze of 256 tokens" MB "$(get "$f" rss_end_mb)" \
	"$(get "$f" rss_end_mb)" "$(get "$f" rss_end_mb)" - - - "value<=" "$lim"
figure "Gemma-2-2B shape bf16: generation" tokens/s "$(get "$g" tokens_per_s)" "$(get "$g" tokens_per_s_max)" \
	"$(get "$g" tokens_per_s_min)" "memory floor" "$(get "$g" floor_tokens_per_s)" "$(get "$g" ratio)" "ratio>=" 0.7
