#!/bin/sh
# bench/hf.sh: the Hugging Face architectures (src/live/arch_hf.c) on
# random bf16 checkpoints of real shapes, made once by bench/hf_gen.py
# under $BENCH_DIR (default bench/ in the build folder; hf-*/ is
# git-ignored):
#   - Llama 3.2 1B's shapes (hidden 2048, intermediate 8192, 32 heads / 8
#     KV, vocab 128256, tied), its first LAYERS blocks (default 4 of 16;
#     all the matrix shapes, a quarter of the bytes): a forward pass of T
#     tokens with logits, next to raw sgemm of the same shapes (interleaved,
#     target ratio >= 0.6) and to PyTorch (python3-torch, float32, the
#     reference of tests/hf_ref.py on the same weights and threads; target
#     >= 1.0); KV-cached generation next to the memory-bandwidth floor
#     (the same threads reading a 1 GiB buffer with vector loads,
#     bench/membw.c, divided by the weight bytes a token reads; target >= 0.7);
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
f=$("$HB" forward "$M" "$T" 3)
p=$(/usr/bin/python3 "$S/bench/hf_gen.py" torch "$M" "$T" 3 "$THREADS")
g=$("$HB" generate "$M" "$N" "$wb")
fs=$(get "$f" forward_s)
ts=$(get "$p" torch_s)
tr=$(awk -v a="$ts" -v b="$fs" 'BEGIN { printf "%.2f", a / b }')
printf 'Llama 3.2 1B shapes, %d of 16 blocks, bf16 (%d MB), threads %s\n' "$LAYERS" $((wb >> 20)) "$THREADS"
printf 'load %ss, resident %s MB; forward %d tokens: %ss (%s tokens/s); raw sgemm, same shapes: %ss; ratio %s (target >= 0.6)\n' \
	"$(get "$f" load_s)" "$(get "$f" rss_load_mb)" "$T" "$fs" "$(get "$f" tokens_per_s)" "$(get "$f" sgemm_s)" \
	"$(get "$f" ratio)"
printf 'PyTorch float32, same weights and threads: %ss; ratio %s (target >= 1.0)\n' "$ts" "$tr"
printf 'generation (KV cache): %s tokens/s; floor (%s GB/s over %s MB a token): %s tokens/s; ratio %s (target >= 0.7)\n' \
	"$(get "$g" tokens_per_s)" "$(get "$g" bandwidth_gbs)" "$(get "$g" weight_mb)" \
	"$(get "$g" floor_tokens_per_s)" "$(get "$g" ratio)"
figure "Llama 3.2 1B shapes forward $T tokens, vs raw sgemm same shapes" s "$fs" "$fs" "$fs" "raw sgemm" \
	"$(get "$f" sgemm_s)" "$(get "$f" ratio)" "ratio>=" 0.6
figure "Llama 3.2 1B shapes forward $T tokens, vs PyTorch" s "$fs" "$fs" "$fs" "PyTorch" "$ts" "$tr" "ratio>=" 1.0
figure "Llama 3.2 1B shapes KV-cached generation, vs bandwidth floor" tokens/s "$(get "$g" tokens_per_s)" \
	"$(get "$g" tokens_per_s)" "$(get "$g" tokens_per_s)" "memory floor" "$(get "$g" floor_tokens_per_s)" \
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
figure "Gemma-2-2B shape bf16: generation" tokens/s "$(get "$g" tokens_per_s)" "$(get "$g" tokens_per_s)" \
	"$(get "$g" tokens_per_s)" "memory floor" "$(get "$g" floor_tokens_per_s)" "$(get "$g" ratio)" "ratio>=" 0.7
