# t-live-hf.sh: the Hugging Face architectures (src/live/arch_hf.c)
# against a float64 PyTorch reference written from each architecture
# (tests/hf_ref.py, Debian's python3-torch): llama (GQA 4:1 untied with
# llama3 RoPE scaling; 2:1 tied, bf16, sharded), qwen2 (biases), qwen3
# (q/k norms, head_dim), gemma2 (window 5 under an 18-token text,
# soft-capping), gemma3_text (5:1 local/global with their RoPE bases;
# layer_types; a multimodal gemma3 checkpoint's text model, its config in
# text_config with defaults left out, its tensors under language_model.model),
# gpt_neox (parallel and sequential, partial rotary): the
# rows at every hook point of every block and the logits, batched and
# through the KV cache, and with an in-place hook; tolerance 1e-4 of each
# tensor's largest value. Then the adapter test (tests/live-arch) on one
# folder, and bad input: one line naming the file and field, exit 2.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! err=$("$PY" -c 'import torch' 2>&1); then
	fail live-hf-torch "PyTorch is missing for $PY (./bootstrap installs python3-torch): $(printf '%s' "$err" | tail -1)"
	exit 0
fi
cd "$TMP" || exit 1
"$PY" "$S/tests/hf_ref.py" check "$B/tests/hf-tool" "$TMP" 2>"$TMP/py.err"
[ -s "$TMP/py.err" ] && fail live-hf-python "$(tail -3 "$TMP/py.err" | tr '\n' ' ')"

# the live ops table on a Gemma 2 folder with a BOS-prepending dictionary
"$PY" "$S/tests/hf_ref.py" sae sae gemma2-window-caps blocks.1.hook_resid_post 48 2>>"$TMP/py.err" ||
	fail live-hf-setup "hf_ref.py sae failed: $(tail -1 "$TMP/py.err")"
"$B/tests/live-arch" gemma2 gemma2-window-caps sae
check_grep "load: the folder runs as the hf architecture" "^hf layers 3 d_model 32 vocab 300 ctx 64$" \
	"$(cd "$TMP" && "$B/tests/hf-tool" load gemma2-window-caps >"$TMP/load.out" 2>&1; echo "$TMP/load.out")"

# weights stay at their width: 60 MB of bf16 in two shards run in at most
# 1.2 times their bytes resident plus 16 MB of working set that does not
# grow with the weights (the 512-row conversion block, 5.8 MB here; the
# logits, KV cache and scratch of 64 tokens; the tokenizer); a float32
# copy of the matrices would add 120 MB
"$PY" "$S/tests/hf_ref.py" model mem llama-mem-bf16 || fail live-hf-setup "hf_ref.py model mem failed"
# Under AddressSanitizer the shadow of the mapped weights is resident too
# (one byte per eight), and freed blocks wait in its quarantine (turned
# off for this run); a float32 copy would still show.
shadow=0 asan=
if grep -qa __asan_init "$B/tests/hf-tool" 2>/dev/null; then shadow=1 asan="${ASAN_OPTIONS:-}:quarantine_size_mb=0"; fi
set -- $(if [ -n "$asan" ]; then ASAN_OPTIONS=$asan "$B/tests/hf-tool" mem mem 64; else "$B/tests/hf-tool" mem mem 64; fi)
wbytes=$(cat mem/*.safetensors | wc -c)
if [ "${1:-}" = rss_before ] && [ $(( ($4 - $2) * 10 )) -le $(( wbytes * 12 + shadow * wbytes * 10 / 8 + (160 << 20) )) ]; then
	ok "memory: a bf16 model runs in at most 1.2x its weight bytes (+16 MB) resident"
else
	fail "memory: a bf16 model runs in at most 1.2x its weight bytes (+16 MB) resident" \
		"grew by $(( (${4:-0} - ${2:-0}) >> 20 )) MB for $(( wbytes >> 20 )) MB of weights ($*)"
fi
rm -rf mem

# bad input, through attach on a copy of the demo index
cp "$S/data/demo.sqlite" "$TMP/ix.sqlite"
bad() { # NAME PATTERN KIND
	local name=$1 pat=$2 kind=$3
	rm -rf "bad-$kind"
	"$PY" "$S/tests/hf_ref.py" bad "bad-$kind" "$kind" || { fail "$name" "hf_ref.py bad $kind failed"; return; }
	"$FS" attach "$TMP/ix.sqlite" --model "bad-$kind" --sae "res4k=$S/data/demo-sae-res4k.bin" >bad.out 2>bad.err
	local rc=$?
	if [ "$rc" != 2 ]; then fail "$name" "exit $rc, wanted 2: $(head -c 300 bad.err)"; return; fi
	if [ "$(wc -l <bad.err)" != 1 ]; then fail "$name" "not one line: $(head -c 300 bad.err)"; return; fi
	if ! grep -Eq -- "$pat" bad.err; then fail "$name" "no /$pat/ in: $(cat bad.err)"; return; fi
	ok "$name"
}
bad "bad: an unknown model_type names the supported ones" \
	"bad-arch/config.json: model_type: 'mamba' is not supported \(supported architectures: gpt2, llama, qwen2, qwen3, gemma2, gemma3_text, gemma3 \(its text\), gpt_neox\)" arch
bad "bad: a missing shard" \
	"bad-shard/model.safetensors.index.json: weight_map: model\.[a-z_.0-9]+: shard bad-shard/model-00002-of-00002.safetensors is missing" shard
bad "bad: a shard named with a path" \
	"bad-path/model.safetensors.index.json: weight_map: lm_head.weight|model\.[a-z_.0-9]+: shard '\.\./elsewhere.safetensors' is not a file name in the folder" path
bad "bad: config and weights disagree on a shape" \
	"bad-shape/model.safetensors: model.layers.0.mlp.gate_proj.weight: shape \[80, 32\], expected \[88, 32\] \(config.json\)" shape
bad "bad: a tokenizer larger than vocab_size" \
	"bad-vocab/tokenizer.json: the tokenizer has 300 tokens, but bad-vocab/config.json says vocab_size 299" vocab
bad "bad: an infinite bf16 weight is found by the scan at load" \
	"bad-inf/model.safetensors: model.layers.1.mlp.up_proj.weight: element 101 is inf \(weights must be finite numbers within \+-1e\+06\)" inf
exit 0
