# t-gpt2-ref.sh: the GPT-2 forward pass (src/live/gpt2.c) and SAELens
# encoders (src/import/saelens_sae.c) against a float64 PyTorch reference
# (tests/gpt2_ref.py, Debian's python3-torch, installed by ./bootstrap):
# residual stream at every hook, logits batched, with an in-place hook and
# through the KV cache, on tiny random f32/f16/bf16 checkpoints; SAE
# activations for standard, topk and jumprelu in both cfg layouts. 1e-4 of
# the largest value.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! err=$("$PY" -c 'import torch' 2>&1); then
	fail gpt2-ref-torch "PyTorch is missing for $PY (./bootstrap installs python3-torch): $(printf '%s' "$err" | tail -1)"
	exit 0
fi
"$PY" "$S/tests/gpt2_ref.py" check "$B/tests/gpt2-tool" "$TMP" 2>"$TMP/py.err"
[ -s "$TMP/py.err" ] && fail gpt2-ref-python "$(tail -3 "$TMP/py.err" | tr '\n' ' ')"
exit 0
