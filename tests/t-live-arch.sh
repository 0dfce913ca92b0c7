# t-live-arch.sh: the adapter test: the live ops table (live.h) behaves
# the same through both architectures, the demo byte-level model with its
# FSSAE dictionary and a tiny random GPT-2 folder with a SAELens
# dictionary (tests/live-arch.c says what is checked).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! err=$("$PY" -c 'import torch' 2>&1); then
	fail live-arch-torch "PyTorch is missing for $PY (./bootstrap installs python3-torch): $(printf '%s' "$err" | tail -1)"
	exit 0
fi
"$B/tests/live-arch" demo "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin"
cd "$TMP" || exit 1
"$PY" "$S/tests/gpt2_ref.py" model m 2 32 4 64 400 F32 tok || fail live-arch-setup "gpt2_ref.py model failed"
"$PY" "$S/tests/gpt2_ref.py" sae sae-post m blocks.1.hook_resid_post 48 topk || fail live-arch-setup "gpt2_ref.py sae failed"
"$PY" "$S/tests/gpt2_ref.py" sae sae-hid m blocks.0.mlp.hook_post 40 standard || fail live-arch-setup "gpt2_ref.py sae failed"
"$PY" "$S/tests/gpt2_ref.py" sae sae-attn m blocks.0.hook_attn_out 40 standard || fail live-arch-setup "gpt2_ref.py sae failed"
"$PY" "$S/tests/gpt2_ref.py" sae sae-mlpin m blocks.1.ln2.hook_normalized 40 topk || fail live-arch-setup "gpt2_ref.py sae failed"
# decoder rows along the encoder's (W_dec = W_enc^T, as training makes
# them roughly): clamping corrects along W_dec[f], which moves a feature
# only when W_enc[f] . W_dec[f] is not near 0, as in a random dictionary
"$PY" - sae-post sae-hid sae-attn sae-mlpin <<'PY' || fail live-arch-setup "tying the decoders failed"
import json, struct, sys
for d in sys.argv[1:]:
    p = d + "/sae_weights.safetensors"
    raw = open(p, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    data = bytearray(raw[8 + n:])
    def arr(k):
        e = hdr[k]
        assert e["dtype"] == "F32"
        b0, b1 = e["data_offsets"]
        return e["shape"], b0, list(struct.unpack("<%df" % ((b1 - b0) // 4), data[b0:b1]))
    (di, ds), _, we = arr("W_enc")
    _, o, _ = arr("W_dec")
    wd = [we[i * ds + f] for f in range(ds) for i in range(di)]
    data[o:o + 4 * len(wd)] = struct.pack("<%df" % len(wd), *wd)
    open(p, "wb").write(raw[:8 + n] + bytes(data))
PY
# every hook point of both architectures through the live interface (a
# list of hooks in one pass, one steering), against PyTorch
mkdir -p live-ref
"$PY" "$S/tests/gpt2_ref.py" live-check "$B/tests/live-arch" "$TMP/live-ref" "$S/data/demo-lm.bin" 2>py.err
[ -s py.err ] && fail live-arch-ref-python "$(tail -3 py.err | tr '\n' ' ')"
"$B/tests/live-arch" gpt2 m sae-post
"$B/tests/live-arch" gpt2-mlp m sae-hid
# dictionaries at the points GPT-2 gained, named as SAELens names them
"$B/tests/live-arch" gpt2-attn m sae-attn
"$B/tests/live-arch" gpt2-mlpin m sae-mlpin
exit 0
