# tests/gpt2_ref.py: the PyTorch reference for featscope's GPT-2 runtime.
#   gpt2_ref.py check TOOL WORK
#       builds tiny random GPT-2 checkpoints in the Hugging Face layout
#       (several shapes; f32, f16, bf16; names with and without the
#       "transformer." prefix), runs a plain float64 PyTorch GPT-2 written
#       here from the architecture (LayerNorm, causal attention, gelu_new,
#       tied unembedding), and compares featscope's residual stream at
#       every hook, its logits (batched, with a hook that scales a residual
#       in place, and through the KV cache) and SAELens encoders (standard,
#       topk, jumprelu; old and new cfg layouts) with TOOL's output. Prints
#       "ok NAME" / "FAIL NAME: why" lines.
#   gpt2_ref.py model DIR L D H CTX VOCAB DTYPE [tokenizer]
#       writes one random checkpoint (for benchmarks and harvest tests);
#       "tokenizer" adds a small byte-level BPE vocab.json + merges.txt.
#   gpt2_ref.py sae DIR MODELDIR HOOK D_SAE ARCH
#       writes a random SAELens dictionary for that model's width.
#   gpt2_ref.py bad DIR KIND
#       a tiny checkpoint with one defect: missing (a tensor left out),
#       shape (a tensor mis-shaped), arch (model_type llama), lying (a
#       header whose offsets run past the file), vocab (a tokenizer one
#       token short of vocab_size).
#   gpt2_ref.py harvest-setup DIR
#       the model, dictionaries and bad checkpoints t-gpt2-harvest.sh uses.
#   gpt2_ref.py harvest-check TOOL MODEL STRINGS CTX INDEX SAE...
#       recomputes, for the documents in STRINGS (JSON strings a line),
#       each dictionary's per-feature maximum and density over windows of
#       CTX tokens (BOS first) in PyTorch and compares them with INDEX.
# Needs torch only (Debian's python3-torch); no transformers library.
import json, math, os, struct, subprocess, sys

import torch

TOL = 1e-4


def st_write(path, tensors, dtype):
    """safetensors: u64 LE header length, JSON header, raw LE data."""
    tdt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].to(tdt).contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if dtype == "BF16" else t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    # what the reader will see: the values rounded to the file's type
    return {k: v.to(tdt).to(torch.float64) for k, v in tensors.items()}


def make_model(d, L, D, H, ctx, vocab, dtype, prefix="", extras=False, seed=0, tokenizer=False):
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    r = lambda *s, std=0.2: torch.randn(*s, generator=g) * std
    w = {"wte.weight": r(vocab, D, std=0.5), "wpe.weight": r(ctx, D, std=0.3),
         "ln_f.weight": 1 + r(D, std=0.1), "ln_f.bias": r(D, std=0.1)}
    for l in range(L):
        p = "h.%d." % l
        w.update({p + "ln_1.weight": 1 + r(D, std=0.1), p + "ln_1.bias": r(D, std=0.1),
                  p + "attn.c_attn.weight": r(D, 3 * D, std=1.5 / math.sqrt(D)), p + "attn.c_attn.bias": r(3 * D, std=0.1),
                  p + "attn.c_proj.weight": r(D, D, std=1 / math.sqrt(D)), p + "attn.c_proj.bias": r(D, std=0.1),
                  p + "ln_2.weight": 1 + r(D, std=0.1), p + "ln_2.bias": r(D, std=0.1),
                  p + "mlp.c_fc.weight": r(D, 4 * D, std=1 / math.sqrt(D)), p + "mlp.c_fc.bias": r(4 * D, std=0.1),
                  p + "mlp.c_proj.weight": r(4 * D, D, std=1 / math.sqrt(4 * D)), p + "mlp.c_proj.bias": r(D, std=0.1)})
    fw = {prefix + k: v for k, v in w.items()}
    if extras:  # what older files and GPT2LMHeadModel saves also hold
        for l in range(L):
            fw[prefix + "h.%d.attn.bias" % l] = torch.tril(torch.ones(ctx, ctx)).view(1, 1, ctx, ctx)
            fw[prefix + "h.%d.attn.masked_bias" % l] = torch.tensor(-1e4)
        fw["lm_head.weight"] = w["wte.weight"]
    got = st_write(os.path.join(d, "model.safetensors"), fw, dtype)
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": L, "n_embd": D, "n_head": H,
           "n_positions": ctx, "n_ctx": ctx, "vocab_size": vocab, "layer_norm_epsilon": 1e-5,
           "activation_function": "gelu_new"}
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=1)
    if tokenizer:
        write_tokenizer(d, vocab)
    return cfg, {k: got[prefix + k] for k in w}


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_tokenizer(d, vocab):
    """256 byte tokens, vocab - 257 merges learned greedily on a small
    English text, then <|endoftext|> as the last id."""
    b2u = bytes_to_unicode()
    toks = [b2u[b] for b in range(256)]
    text = ("the quick brown fox jumps over the lazy dog. It's a test; they're here, we'll see. "
            "The model reads text and the features fire on tokens in the text. " * 4)
    words = [[b2u[b] for b in (" " + w).encode()] for w in text.split()]
    merges = []
    while len(toks) < vocab - 1:
        counts = {}
        for w in words:
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + 1
        if not counts:
            break
        (a, b) = max(sorted(counts), key=lambda p: counts[p])
        merges.append(a + " " + b)
        toks.append(a + b)
        for i, w in enumerate(words):
            o, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    o.append(a + b)
                    j += 2
                else:
                    o.append(w[j])
                    j += 1
            words[i] = o
    while len(toks) < vocab - 1:
        toks.append("<|pad%d|>" % len(toks))
    toks.append("<|endoftext|>")
    json.dump({t: i for i, t in enumerate(toks)}, open(os.path.join(d, "vocab.json"), "w", encoding="utf-8"),
              ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(m + "\n" for m in merges))


def gelu_new(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def layernorm(x, w, b, eps):
    m = x.mean(-1, keepdim=True)
    v = ((x - m) ** 2).mean(-1, keepdim=True)
    return (x - m) / torch.sqrt(v + eps) * w + b


def ref_forward(cfg, w, ids, patch=None, scale_at=None):
    """ids [B, T] -> (hooks {name: [B*T, D]}, logits [B*T, V]); patch: a
    factor applied to blocks.0.hook_resid_post; scale_at (NAME, FACTOR):
    the hook point NAME multiplied by FACTOR before it is recorded and
    goes on (a steering hook ahead of the readers)."""
    B, T = ids.shape
    D, H = cfg["n_embd"], cfg["n_head"]
    dh = D // H
    eps = cfg["layer_norm_epsilon"]
    x = w["wte.weight"][ids] + w["wpe.weight"][torch.arange(T)]
    hooks = {}

    def pt(name, t):
        if scale_at is not None and scale_at[0] == name:
            t = t * scale_at[1]
        hooks[name] = t.reshape(B * T, -1).clone()
        return t
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        b = "blocks.%d." % l
        x = pt(b + "hook_resid_pre", x)
        h = layernorm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(D, dim=-1)
        q = q.view(B, T, H, dh).transpose(1, 2)
        k = k.view(B, T, H, dh).transpose(1, 2)
        v = v.view(B, T, H, dh).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        z = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + pt(b + "hook_attn_out", z @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"])
        h = pt(b + "ln2.hook_normalized", layernorm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps))
        hid = pt(b + "mlp.hook_post", gelu_new(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]))
        x = x + pt(b + "hook_mlp_out", hid @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"])
        x = pt(b + "hook_resid_post", x)
        if patch is not None and l == 0:
            x = x * patch
    h = layernorm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return hooks, (h @ w["wte.weight"].T).reshape(B * T, -1)


def demo_load(path):
    """The demo model's FSLM0001/FSLM0002 file (model/lm.c): header, then
    the parameters in the architecture's order, matrices [in][out]."""
    raw = open(path, "rb").read()
    gen2 = raw[:8] == b"FSLM0002"
    nh = 5 if gen2 else 4
    L, D, H, ctx = struct.unpack("<4i", raw[8:24])
    f16 = gen2 and struct.unpack("<i", raw[24:28])[0] == 1
    body = raw[8 + 4 * nh:]
    vals = torch.frombuffer(bytearray(body), dtype=torch.float16 if f16 else torch.float32).to(torch.float64)
    at = [0]

    def take(*shape):
        n = 1
        for s in shape:
            n *= s
        t = vals[at[0]:at[0] + n].reshape(*shape)
        at[0] += n
        return t
    F = 4 * D
    w = {"wte": take(256, D), "wpe": take(ctx, D), "blocks": []}
    for _ in range(L):
        w["blocks"].append({k: take(*s) for k, s in (("ln1_g", (D,)), ("ln1_b", (D,)), ("wqkv", (D, 3 * D)),
                                                      ("bqkv", (3 * D,)), ("wo", (D, D)), ("bo", (D,)),
                                                      ("ln2_g", (D,)), ("ln2_b", (D,)), ("w1", (D, F)),
                                                      ("b1", (F,)), ("w2", (F, D)), ("b2", (D,)))})
    w["lnf_g"], w["lnf_b"], w["wu"], w["bu"] = take(D), take(D), take(D, 256), take(256)
    assert at[0] == vals.numel(), "demo file size"
    return {"n_layer": L, "d": D, "n_head": H, "ctx": ctx}, w


def demo_forward(cfg, w, ids, scale_at=None):
    """The demo transformer (pre-LayerNorm, tanh GELU, learned positions,
    untied unembedding) on ids [T] -> (hooks, logits [T, 256])."""
    T = ids.shape[0]
    D, H = cfg["d"], cfg["n_head"]
    dh = D // H
    hooks = {}

    def pt(name, t):
        if scale_at is not None and scale_at[0] == name:
            t = t * scale_at[1]
        hooks[name] = t.clone()
        return t
    x = w["wte"][ids] + w["wpe"][torch.arange(T)]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l, p in enumerate(w["blocks"]):
        b = "blocks.%d." % l
        x = pt(b + "hook_resid_pre", x)
        qkv = layernorm(x, p["ln1_g"], p["ln1_b"], 1e-5) @ p["wqkv"] + p["bqkv"]
        q, k, v = (t.view(T, H, dh).transpose(0, 1) for t in qkv.split(D, dim=-1))
        att = ((q @ k.transpose(-1, -2)) / math.sqrt(dh)).masked_fill(~mask, float("-inf")).softmax(-1)
        z = (att @ v).transpose(0, 1).reshape(T, D)
        x = x + pt(b + "hook_attn_out", z @ p["wo"] + p["bo"])
        h = pt(b + "ln2.hook_normalized", layernorm(x, p["ln2_g"], p["ln2_b"], 1e-5))
        hid = pt(b + "mlp.hook_post", gelu_new(h @ p["w1"] + p["b1"]))
        x = x + pt(b + "hook_mlp_out", hid @ p["w2"] + p["b2"])
        x = pt(b + "hook_resid_post", x)
    return hooks, layernorm(x, w["lnf_g"], w["lnf_b"], 1e-5) @ w["wu"] + w["bu"]


def live_check(tool, work, demo_lm):
    """Every hook point through the live interface (tests/live-arch dump:
    a list of reading hooks, one a point, after an optional steering hook)
    against the references, for GPT-2 and the demo model; then two hooks
    in one pass: attn_out of block 0 scaled, mlp_in of block 1 read."""
    c = Checks()
    g = torch.Generator().manual_seed(7)
    cases = []
    d = os.path.join(work, "live-gpt2")
    cfg, w = make_model(d, 2, 32, 4, 24, 400, "F32", seed=3, tokenizer=True)
    ids = torch.randint(0, 400, (1, 19), generator=g)
    cases.append(("gpt2", d, ids[0], lambda sa, ids=ids: ref_forward(cfg, w, ids, scale_at=sa)))
    dcfg, dw = demo_load(demo_lm)
    dids = torch.randint(0, 256, (23,), generator=g)
    cases.append(("demo", demo_lm, dids, lambda sa, ids=dids: demo_forward(dcfg, dw, ids, scale_at=sa)))
    for tag, model, ids, ref in cases:
        T = ids.shape[0]
        idf = os.path.join(work, "live-%s-ids.bin" % tag)
        write_ids(idf, ids)
        for steer, read in ((None, None), ("attn_out.0=0.5", "mlp_in.1"), ("mlp_in.0=1.5", None)):
            sa = None
            if steer:
                pt, f = steer.split("=")
                kind, layer = pt.split(".")
                sa = ("blocks.%s.%s" % (layer, {"attn_out": "hook_attn_out", "mlp_in": "ln2.hook_normalized"}[kind]),
                      float(f))
            hooks, logits = ref(sa)
            sub = "live-%s%s" % (tag, "" if not steer else "-steer-" + steer.replace("=", "x"))
            out = os.path.join(work, sub)
            os.makedirs(out, exist_ok=True)
            args = [tool, "dump", model, idf, str(T), out] + ([steer] if steer else []) + ([read] if read else [])
            if not c.run(sub, args):
                continue
            names = sorted(hooks)
            if read:
                kind, layer = read.split(".")
                names = ["blocks.%s.%s" % (layer, {"mlp_in": "ln2.hook_normalized"}[kind])]
                extra = [n for n in os.listdir(out) if n.endswith(".bin") and n != "logits.bin" and n + "" not in
                         [x + ".bin" for x in names]]
                if extra:
                    print("FAIL %s-only-read: hooks ran elsewhere: %s" % (sub, " ".join(sorted(extra))))
                    c.failed += 1
                else:
                    print("ok %s-only-read" % sub)
            for name in names:
                c.cmp("%s-%s" % (sub, name), load_f32(os.path.join(out, name + ".bin"), tuple(hooks[name].shape)),
                      hooks[name])
            c.cmp(sub + "-logits", load_f32(os.path.join(out, "logits.bin"), tuple(logits.shape)), logits)
    return c.failed


def rel_err(got, ref):
    scale = ref.abs().max().item()
    return (got - ref).abs().max().item() / (scale if scale > 0 else 1)


def load_f32(path, shape):
    if not os.path.exists(path):
        return None
    data = open(path, "rb").read()
    n = 1
    for s in shape:
        n *= s
    if len(data) != 4 * n:
        return None
    return torch.tensor(list(struct.unpack("<%df" % n, data)), dtype=torch.float64).reshape(*shape)


class Checks:
    def __init__(self):
        self.failed = 0

    def cmp(self, name, got, ref):
        if got is None:
            print("FAIL %s: output missing or of the wrong size" % name)
            self.failed += 1
            return
        e = rel_err(got, ref)
        if e <= TOL and math.isfinite(e):
            print("ok %s" % name)
        else:
            print("FAIL %s: max error %.3g of the largest value (tolerance %g)" % (name, e, TOL))
            self.failed += 1

    def run(self, name, args):
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL %s: %s exited %d: %s" % (name, os.path.basename(args[0]), r.returncode, r.stderr.strip()[:300]))
            self.failed += 1
            return False
        return True


def write_ids(path, ids):
    with open(path, "wb") as f:
        f.write(struct.pack("<%di" % ids.numel(), *ids.flatten().tolist()))


def sae_ref(cfg, w, x):
    """SAELens encode in float64 from what the files hold."""
    if cfg["norm"] == "expected_average_only_in":
        x = x * cfg["norm_scaling_factor"]
    elif cfg["norm"] == "constant_norm_rescale":
        x = x * (math.sqrt(x.shape[-1]) / x.norm(dim=-1, keepdim=True))
    elif cfg["norm"] == "layer_norm":  # SAELens: unbiased std, + 1e-5
        x = x - x.mean(-1, keepdim=True)
        x = x / (x.std(-1, keepdim=True) + 1e-5)
    if cfg["apply_b_dec"]:
        x = x - w["b_dec"]
    pre = x @ w["W_enc"] + w["b_enc"]
    if cfg["arch"] == "jumprelu":
        return torch.relu(pre) * (pre > w["threshold"])
    acts = torch.relu(pre)
    if cfg["arch"] == "topk":
        top = acts.topk(cfg["k"], dim=-1)
        acts = torch.zeros_like(acts).scatter(-1, top.indices, top.values)
    return acts


def make_sae(d, d_in, d_sae, arch, layout, hook, apply_b_dec=True, norm="none", seed=1, dtype="F32"):
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    w = {"W_enc": torch.randn(d_in, d_sae, generator=g) / math.sqrt(d_in),
         "b_enc": torch.randn(d_sae, generator=g) * 0.1,
         "W_dec": torch.randn(d_sae, d_in, generator=g) / math.sqrt(d_sae),
         "b_dec": torch.randn(d_in, generator=g) * 0.1}
    info = {"arch": arch, "apply_b_dec": apply_b_dec, "norm": norm, "k": max(1, d_sae // 8),
            "norm_scaling_factor": 0.75}
    if arch == "jumprelu":
        w["threshold"] = torch.rand(d_sae, generator=g) * 0.5
    got = st_write(os.path.join(d, "sae_weights.safetensors"), w, dtype)
    if layout == "new":
        cfg = {"d_in": d_in, "d_sae": d_sae, "dtype": "float32", "device": "cpu", "architecture": arch,
               "apply_b_dec_to_input": apply_b_dec, "normalize_activations": norm, "reshape_activations": "none",
               "metadata": {"model_name": "gpt2-tiny", "hook_name": hook, "hook_head_index": None,
                            "prepend_bos": True, "context_size": 16, "sae_lens_version": "6.5.0"}}
        if arch == "topk":
            cfg["k"] = info["k"]
    else:
        cfg = {"d_in": d_in, "d_sae": d_sae, "model_name": "gpt2-tiny", "hook_point": hook,
               "hook_point_layer": int(hook.split(".")[1]), "hook_point_head_index": None,
               "activation_fn_str": "topk" if arch == "topk" else "relu",
               "apply_b_dec_to_input": apply_b_dec, "normalize_activations": norm, "context_size": 16,
               "prepend_bos": True, "sae_lens_version": "3.12.0"}
        if arch == "topk":
            cfg["activation_fn_kwargs"] = {"k": info["k"]}
        if arch == "jumprelu":
            cfg["architecture"] = "jumprelu"
    if norm == "expected_average_only_in":
        cfg["norm_scaling_factor"] = info["norm_scaling_factor"]
    json.dump(cfg, open(os.path.join(d, "cfg.json"), "w"), indent=1)
    return info, got


def check(tool, work):
    c = Checks()
    shapes = [  # L, D, H, ctx, vocab, dtype, prefix, extras, B, T
        (2, 32, 4, 24, 101, "F32", "", False, 3, 24),
        (3, 48, 6, 40, 77, "F16", "transformer.", True, 2, 17),
        (1, 64, 2, 16, 300, "BF16", "", True, 4, 16),
        (4, 16, 1, 12, 50, "F32", "transformer.", False, 1, 5),
    ]
    for i, (L, D, H, ctx, V, dt, prefix, extras, B, T) in enumerate(shapes):
        tag = "gpt2-m%d-%s" % (i, dt.lower())
        d = os.path.join(work, tag)
        cfg, w = make_model(d, L, D, H, ctx, V, dt, prefix, extras, seed=10 + i)
        g = torch.Generator().manual_seed(100 + i)
        ids = torch.randint(0, V, (B, T), generator=g)
        write_ids(os.path.join(d, "ids.bin"), ids)
        hooks, logits = ref_forward(cfg, w, ids)
        out = os.path.join(d, "out")
        os.makedirs(out, exist_ok=True)
        if c.run(tag + "-forward", [tool, "forward", d, os.path.join(d, "ids.bin"), str(B), str(T), out]):
            for name in sorted(hooks):
                c.cmp("%s-%s" % (tag, name), load_f32(os.path.join(out, name + ".bin"), tuple(hooks[name].shape)),
                      hooks[name])
            c.cmp(tag + "-logits", load_f32(os.path.join(out, "logits.bin"), (B * T, V)), logits)
        # a hook that changes the residual in place
        _, plog = ref_forward(cfg, w, ids, patch=0.5)
        pout = os.path.join(d, "pout")
        os.makedirs(pout, exist_ok=True)
        if c.run(tag + "-patch", [tool, "forward", d, os.path.join(d, "ids.bin"), str(B), str(T), pout, "0.5"]):
            c.cmp(tag + "-patched-logits", load_f32(os.path.join(pout, "logits.bin"), (B * T, V)), plog)
        # the KV cache: first sequence, P tokens at once then one at a time
        P = max(1, T // 2)
        sp = os.path.join(d, "steps.bin")
        if c.run(tag + "-steps", [tool, "steps", d, os.path.join(d, "ids.bin"), str(T), str(P), sp]):
            c.cmp(tag + "-cached-logits", load_f32(sp, (T, V)), logits[:T])
        if i == 0:
            x_in = hooks["blocks.1.hook_resid_pre"]
    # SAEs on model 0's width, fed the reference activations
    D = shapes[0][1]
    rows = x_in.shape[0]
    xin = os.path.join(work, "sae-in.bin")
    with open(xin, "wb") as f:
        f.write(struct.pack("<%df" % x_in.numel(), *x_in.to(torch.float32).flatten().tolist()))
    x32 = x_in.to(torch.float32).to(torch.float64)
    cases = [("standard", "new", True, "none", "F32"), ("standard", "old", False, "none", "F16"),
             ("topk", "new", True, "none", "F32"), ("topk", "old", True, "expected_average_only_in", "F32"),
             ("jumprelu", "new", False, "none", "BF16"), ("jumprelu", "old", True, "expected_average_only_in", "F32"),
             ("standard", "new", True, "constant_norm_rescale", "F32"), ("topk", "new", False, "layer_norm", "F32")]
    for j, (arch, layout, abd, norm, dt) in enumerate(cases):
        tag = "sae-%s-%s-%s%s-%s" % (arch, layout, "bdec" if abd else "nobdec", "" if norm == "none" else "-" + norm,
                                    dt.lower())
        d = os.path.join(work, tag)
        info, w = make_sae(d, D, 96, arch, layout, "blocks.1.hook_resid_pre", abd, norm, seed=50 + j, dtype=dt)
        ref = sae_ref(info, w, x32)
        o = os.path.join(d, "acts.bin")
        if c.run(tag, [tool, "sae", d, xin, str(rows), o]):
            got = load_f32(o, (rows, 96))
            c.cmp(tag, got, ref)
            if got is not None and arch == "topk":
                nz = int((got > 0).sum(-1).max().item())
                if nz == info["k"]:
                    print("ok %s-k" % tag)
                else:
                    print("FAIL %s-k: %d features fire on a token, k is %d" % (tag, nz, info["k"]))
                    c.failed += 1
    return c.failed


def make_bad(d, kind):
    L, D, H, ctx, V = 1, 16, 2, 16, 300
    if kind == "missing":
        cfg, w = make_model(d, L, D, H, ctx, V, "F32", tokenizer=True)
        t = {k: v for k, v in w.items() if k != "h.0.mlp.c_fc.bias"}
        st_write(os.path.join(d, "model.safetensors"), t, "F32")
    elif kind == "shape":
        cfg, w = make_model(d, L, D, H, ctx, V, "F32", tokenizer=True)
        w["h.0.attn.c_attn.weight"] = w["h.0.attn.c_attn.weight"].T.contiguous()
        st_write(os.path.join(d, "model.safetensors"), w, "F32")
    elif kind == "arch":
        make_model(d, L, D, H, ctx, V, "F32", tokenizer=True)
        cfg = json.load(open(os.path.join(d, "config.json")))
        cfg["model_type"] = "mamba"
        json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    elif kind == "lying":
        make_model(d, L, D, H, ctx, V, "F32", tokenizer=True)
        p = os.path.join(d, "model.safetensors")
        data = open(p, "rb").read()
        open(p, "wb").write(data[:len(data) - 64])
    elif kind == "vocab":
        make_model(d, L, D, H, ctx, V, "F32")
        write_tokenizer(d, V - 1)


def harvest_check(tool, mdir, strings, ctx, index, saes):
    import sqlite3
    c = Checks()
    cfg = json.load(open(os.path.join(mdir, "config.json")))
    st = {}
    raw = open(os.path.join(mdir, "model.safetensors"), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    for k, e in hdr.items():
        if k == "__metadata__":
            continue
        b0, b1 = e["data_offsets"]
        buf = bytearray(raw[8 + n + b0:8 + n + b1])
        dt = {"F32": torch.float32, "F16": torch.float16}[e["dtype"]]
        st[k.replace("transformer.", "")] = torch.frombuffer(buf, dtype=dt).reshape(e["shape"]).to(torch.float64)
    r = subprocess.run([tool, "encode", mdir, strings], capture_output=True, text=True)
    if r.returncode != 0:
        print("FAIL harvest-ref-encode: %s" % r.stderr.strip()[:300])
        return 1
    vocab = json.load(open(os.path.join(mdir, "vocab.json"), encoding="utf-8"))
    bos = vocab["<|endoftext|>"]
    docs = [list(map(int, l.split())) for l in r.stdout.split("\n") if l.strip()]
    hooks = {}
    for ids in docs:
        for i in range(0, len(ids), ctx - 1):
            win = torch.tensor([[bos] + ids[i:i + ctx - 1]])
            hk, _ = ref_forward(cfg, st, win)
            for k, v in hk.items():
                hooks.setdefault(k, []).append(v[1:])
    hooks = {k: torch.cat(v) for k, v in hooks.items()}
    db = sqlite3.connect(index)
    for sd in saes:
        scfg = json.load(open(os.path.join(sd, "cfg.json")))
        meta = scfg.get("metadata", {})
        hook = meta.get("hook_name", scfg.get("hook_name", scfg.get("hook_point")))
        arch = scfg.get("architecture", "topk" if scfg.get("activation_fn_str") == "topk" else "standard")
        info = {"arch": arch, "apply_b_dec": scfg.get("apply_b_dec_to_input", True),
                "norm": scfg.get("normalize_activations", "none"), "k": scfg.get("k"),
                "norm_scaling_factor": scfg.get("norm_scaling_factor", 1)}
        raw = open(os.path.join(sd, "sae_weights.safetensors"), "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        hdr = json.loads(raw[8:8 + n])
        w = {}
        for k, e in hdr.items():
            if k != "__metadata__":
                b0, b1 = e["data_offsets"]
                w[k] = torch.frombuffer(bytearray(raw[8 + n + b0:8 + n + b1]), dtype=torch.float32).reshape(e["shape"]).to(torch.float64)
        x = hooks[hook].to(torch.float32).to(torch.float64)
        acts = sae_ref(info, w, x)
        name = os.path.basename(sd.rstrip("/"))
        rows = db.execute("select f.idx, f.max_act, f.density from features f join saes s on f.sae = s.id "
                          "where s.name = ? order by f.idx", (name,)).fetchall()
        tag = "harvest-ref-" + name
        if len(rows) != acts.shape[1]:
            print("FAIL %s: %d features in the index, %d in the dictionary" % (tag, len(rows), acts.shape[1]))
            c.failed += 1
            continue
        got_max = torch.tensor([r[1] for r in rows], dtype=torch.float64)
        c.cmp(tag + "-max", got_max, acts.max(0).values)
        dens = (acts > 0).double().mean(0)
        got_d = torch.tensor([r[2] for r in rows], dtype=torch.float64)
        e = (got_d - dens).abs().max().item() * acts.shape[0]
        if e <= 2.5:
            print("ok %s-density" % tag)
        else:
            print("FAIL %s-density: off by %.1f tokens of %d" % (tag, e, acts.shape[0]))
            c.failed += 1
        ntok = db.execute("select value from meta where key = 'n_tokens'").fetchone()
        if ntok and int(ntok[0]) == acts.shape[0]:
            print("ok %s-tokens" % tag)
        else:
            print("FAIL %s-tokens: index says %s, reference %d" % (tag, ntok, acts.shape[0]))
            c.failed += 1
    return c.failed


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "live-check":
        sys.exit(1 if live_check(sys.argv[2], sys.argv[3], sys.argv[4]) else 0)
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) in (9, 10) and sys.argv[1] == "model":
        d, L, D, H, ctx, V, dt = sys.argv[2], *map(int, sys.argv[3:8]), sys.argv[8]
        make_model(d, L, D, H, ctx, V, dt, tokenizer=len(sys.argv) == 10)
        return 0
    if len(sys.argv) == 7 and sys.argv[1] == "sae":
        d, mdir, hook, dsae, arch = sys.argv[2:7]
        D = json.load(open(os.path.join(mdir, "config.json")))["n_embd"]
        make_sae(d, 4 * D if hook.endswith("mlp.hook_post") else D, int(dsae), arch, "new", hook)
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "harvest-setup":
        # everything t-gpt2-harvest.sh needs, in one process (torch loads once)
        d = sys.argv[2]
        j = lambda *p: os.path.join(d, *p)
        make_model(j("m"), 2, 32, 4, 64, 400, "F16", tokenizer=True)
        for name, hook, dsae, arch, din, seed in [("std", "blocks.1.hook_resid_pre", 64, "standard", 32, 1),
                                                  ("topk", "blocks.0.hook_mlp_out", 48, "topk", 32, 2),
                                                  ("jump", "blocks.1.hook_resid_post", 40, "jumprelu", 32, 3),
                                                  ("hid", "blocks.0.mlp.hook_post", 24, "standard", 128, 4),
                                                  ("wide", "blocks.0.hook_resid_pre", 8, "standard", 16, 5)]:
            make_sae(j(name), din, dsae, arch, "new", hook, seed=seed)
        for k in ("missing", "shape", "arch", "lying", "vocab"):
            make_bad(j("bad-" + k), k)
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "bad":
        make_bad(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) >= 8 and sys.argv[1] == "harvest-check":
        harvest_check(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7:])
        return 0
    sys.stderr.write(__doc__ if __doc__ else "usage: gpt2_ref.py check TOOL WORK | model ... | sae ...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
