#!/bin/sh
# bench/gpt2.sh: GPT-2 runtime speed on a GPT-2-small-shaped random
# checkpoint (12 layers, n_embd 768, 12 heads, 1024 positions, vocab 50257,
# f32, about 500 MB; made once by tests/gpt2_ref.py under $BENCH_DIR, or
# bench/gpt2-small/ in the build folder, both git-ignored). Prints
#   - batched forward (B windows of T tokens, logits included) next to raw
#     sgemm of the same shapes, measured interleaved: ratio = sgemm time /
#     forward time (target: at least 0.6);
#   - KV-cached generation tokens/s next to the floor of reading every
#     weight from memory once per token with every core (bench/membw.c,
#     vector loads over a buffer of the weights' size): ratio = floor time
#     / step time (target: at least 0.7);
# and, under bench/run, both as rows of its table (bench/lib.sh).
# Usage: bench/gpt2.sh [B [T [N]]]  (from the build directory, or set FS_BUILDDIR)
set -eu
B=${FS_BUILDDIR:-$(pwd)}
S=${FS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
GB=$B/bench/gpt2bench
[ -x "$GB" ] || make -C "$B" bench/gpt2bench >/dev/null
NB=${1:-4}
T=${2:-128}
N=${3:-32}
. "$S/bench/lib.sh"
M=${BENCH_DIR:-$B/bench}/gpt2-small
if [ ! -f "$M/model.safetensors" ]; then
	echo "bench/gpt2.sh: making $M (once)" >&2
	/usr/bin/python3 "$S/tests/gpt2_ref.py" model "$M" 12 768 12 1024 50257 F32
fi
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
f=$("$GB" forward "$M" "$NB" "$T" 3)
g=$("$GB" generate "$M" "$N")
printf 'GPT-2 small shape, OpenBLAS threads: %s\n' "${OPENBLAS_NUM_THREADS:-default}"
printf 'batched forward %d x %d tokens: %.3f s (%s tokens/s); raw sgemm, same shapes: %.3f s; ratio %s (target >= 0.6)\n' \
	"$NB" "$T" "$(get "$f" forward_s)" "$(get "$f" tokens_per_s)" "$(get "$f" sgemm_s)" "$(get "$f" ratio)"
printf 'generation (KV cache): %s tokens/s; weight-streaming floor (%s MB a token, %s GB/s with %s threads): %s tokens/s; ratio %s (target >= 0.7)\n' \
	"$(get "$g" tokens_per_s)" "$(get "$g" weight_mb)" "$(get "$g" floor_gb_per_s)" "$(get "$g" floor_threads)" \
	"$(get "$g" floor_tokens_per_s)" "$(get "$g" ratio)"
figure "GPT-2 small forward ${NB}x${T} tokens, vs raw sgemm same shapes" s "$(get "$f" forward_s)" \
	"$(get "$f" forward_s)" "$(get "$f" forward_s)" "raw sgemm" "$(get "$f" sgemm_s)" "$(get "$f" ratio)" "ratio>=" 0.6
figure "GPT-2 small KV-cached generation, vs weight-streaming floor" tokens/s "$(get "$g" tokens_per_s)" \
	"$(get "$g" tokens_per_s)" "$(get "$g" tokens_per_s)" "memory floor" "$(get "$g" floor_tokens_per_s)" \
	"$(get "$g" ratio)" "ratio>=" 0.7
