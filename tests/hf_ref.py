# tests/hf_ref.py: the PyTorch reference for featscope's Hugging Face
# architectures (src/live/arch_hf.c).
#   hf_ref.py check TOOL WORK
#       writes tiny random checkpoints in the real Hugging Face layout
#       (config.json, model.safetensors or shards with
#       model.safetensors.index.json, tokenizer.json) for llama, qwen2,
#       qwen3, gemma2, gemma3_text (also inside a multimodal gemma3
#       checkpoint) and gpt_neox in several shapes, runs a
#       float64 forward pass written here from each architecture, and
#       compares TOOL's (tests/hf-tool) residual stream at every hook point
#       of every block and its logits, batched and through the KV cache,
#       and with a hook that halves a point in place. Tolerance: 1e-4 of
#       the largest magnitude of each compared tensor (f32 arithmetic
#       against float64 on the same weights; bf16 files are compared on
#       their rounded values). Prints "ok NAME" / "FAIL NAME: why".
#   hf_ref.py model DIR TYPE [f32|bf16] [shards]
#       writes one checkpoint of a case below (TYPE is a case name).
#   hf_ref.py sae DIR MODELDIR HOOK D_SAE
#       a random SAELens topk dictionary (prepend_bos) for that model's
#       hidden size, its decoder rows along its encoder's (W_dec = W_enc^T).
#   hf_ref.py bad DIR KIND
#       a llama checkpoint with one defect: arch (model_type unknown),
#       shard (a shard of the index missing), shape (a tensor whose shape
#       the config does not give), vocab (vocab_size below the tokenizer's
#       size), path (a shard name with a path in it), inf (an infinite
#       value in a bf16 matrix).
# Needs torch only (Debian's python3-torch); no transformers library.
import json, math, os, struct, subprocess, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_ref import make_sae, st_write, write_tokenizer  # noqa: E402

TOL = 1e-4
F64 = torch.float64
DT = F64  # the reference's float type (bench/hf_gen.py times it in float32)
KINDS = ["resid_pre", "attn_out", "mlp_in", "mlp_hidden", "mlp_out", "resid_post"]

# ------------------------------------------------------------------ cases
# name: config fields (beyond the shared ones), dtype, sharded
CASES = {
    "llama-gqa4-untied-rope3": dict(
        cfg={"model_type": "llama", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
             "num_attention_heads": 8, "num_key_value_heads": 2, "tie_word_embeddings": False, "rope_theta": 500000.0,
             "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                              "original_max_position_embeddings": 16},
             "rms_norm_eps": 1e-5, "hidden_act": "silu"}, dtype="F32", shards=False),
    "llama-gqa2-tied-bf16-sharded": dict(
        cfg={"model_type": "llama", "hidden_size": 32, "intermediate_size": 80, "num_hidden_layers": 3,
             "num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": True, "rope_theta": 10000.0,
             "rms_norm_eps": 1e-6, "hidden_act": "silu", "attention_bias": True,
             "vocab_size": 1100}, dtype="BF16", shards=True),  # 1100 rows: several blocks of a product
    "qwen2-bias": dict(
        cfg={"model_type": "qwen2", "hidden_size": 48, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 1, "tie_word_embeddings": True, "rope_theta": 1000000.0,
             "rms_norm_eps": 1e-6, "hidden_act": "silu", "use_sliding_window": False, "sliding_window": 4},
        dtype="F32", shards=True),
    "qwen3-headdim-bf16": dict(
        cfg={"model_type": "qwen3", "hidden_size": 48, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "tie_word_embeddings": False,
             "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "hidden_act": "silu", "attention_bias": False},
        dtype="BF16", shards=False),
    "gemma2-window-caps": dict(
        cfg={"model_type": "gemma2", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3,
             "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "query_pre_attn_scalar": 24,
             "attn_logit_softcapping": 2.0, "final_logit_softcapping": 3.0, "sliding_window": 5,
             "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "hidden_activation": "gelu_pytorch_tanh"},
        dtype="BF16", shards=True),
    "gemma3-5to1": dict(
        cfg={"model_type": "gemma3_text", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 7,
             "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "query_pre_attn_scalar": 16,
             "sliding_window": 4, "sliding_window_pattern": 6, "rope_theta": 1000000.0,
             "rope_local_base_freq": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 8.0},
             "attn_logit_softcapping": None, "final_logit_softcapping": None, "rms_norm_eps": 1e-6,
             "hidden_activation": "gelu_pytorch_tanh"}, dtype="F32", shards=True),
    "gemma3-layer-types-bf16": dict(
        cfg={"model_type": "gemma3_text", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3,
             "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "query_pre_attn_scalar": 8,
             "sliding_window": 3, "layer_types": ["full_attention", "sliding_attention", "full_attention"],
             "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "rms_norm_eps": 1e-6,
             "hidden_activation": "gelu_pytorch_tanh"}, dtype="BF16", shards=False),
    # a multimodal Gemma 3 checkpoint (model_type gemma3): the text model's
    # config in text_config, leaving out what Gemma3TextConfig defaults
    # (rope_theta 1e6, rope_local_base_freq 1e4, rms_norm_eps 1e-6,
    # hidden_activation, query_pre_attn_scalar 256), its tensors under
    # language_model.model beside a vision tower's
    "gemma3-multimodal": dict(
        cfg={"model_type": "gemma3_text", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 7,
             "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "sliding_window": 4,
             "rope_scaling": {"rope_type": "linear", "factor": 8.0}},
        dtype="BF16", shards=True, multimodal=True),
    "neox-parallel-rot25": dict(
        cfg={"model_type": "gpt_neox", "hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2,
             "num_attention_heads": 4, "rotary_pct": 0.25, "rotary_emb_base": 10000, "use_parallel_residual": True,
             "layer_norm_eps": 1e-5, "hidden_act": "gelu", "tie_word_embeddings": False}, dtype="F32", shards=False),
    "neox-sequential-bf16": dict(
        cfg={"model_type": "gpt_neox", "hidden_size": 32, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 2, "rotary_pct": 0.5, "rotary_emb_base": 10000, "use_parallel_residual": False,
             "layer_norm_eps": 1e-5, "hidden_act": "gelu", "tie_word_embeddings": False}, dtype="BF16", shards=True),
    # the memory check: 60 MB of bf16 weights
    "llama-mem-bf16": dict(
        cfg={"model_type": "llama", "hidden_size": 1024, "intermediate_size": 2816, "num_hidden_layers": 2,
             "num_attention_heads": 8, "num_key_value_heads": 2, "tie_word_embeddings": True, "vocab_size": 8192,
             "rope_theta": 500000.0, "rms_norm_eps": 1e-5, "hidden_act": "silu"}, dtype="BF16", shards=True),
}
CHECKED = [k for k in CASES if k != "llama-mem-bf16"]
VOCAB = 300


def head_dim(c):
    return c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]


def weights(c, seed):
    """Random weights by Hugging Face name."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s, std=0.2: torch.randn(*s, generator=g, dtype=F64) * std
    t, D, F, L = c["model_type"], c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    H, Hkv, hd = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"]), head_dim(c)
    V = c["vocab_size"]
    w = {}
    if t == "gpt_neox":
        w["gpt_neox.embed_in.weight"] = r(V, D, std=0.5)
        w["embed_out.weight"] = r(V, D, std=1 / math.sqrt(D))
        w["gpt_neox.final_layer_norm.weight"] = 1 + r(D, std=0.1)
        w["gpt_neox.final_layer_norm.bias"] = r(D, std=0.1)
        for l in range(L):
            p = "gpt_neox.layers.%d." % l
            w.update({p + "input_layernorm.weight": 1 + r(D, std=0.1), p + "input_layernorm.bias": r(D, std=0.1),
                      p + "post_attention_layernorm.weight": 1 + r(D, std=0.1),
                      p + "post_attention_layernorm.bias": r(D, std=0.1),
                      p + "attention.query_key_value.weight": r(3 * D, D, std=1.5 / math.sqrt(D)),
                      p + "attention.query_key_value.bias": r(3 * D, std=0.1),
                      p + "attention.dense.weight": r(D, D, std=1 / math.sqrt(D)),
                      p + "attention.dense.bias": r(D, std=0.1),
                      p + "mlp.dense_h_to_4h.weight": r(F, D, std=1 / math.sqrt(D)),
                      p + "mlp.dense_h_to_4h.bias": r(F, std=0.1),
                      p + "mlp.dense_4h_to_h.weight": r(D, F, std=1 / math.sqrt(F)),
                      p + "mlp.dense_4h_to_h.bias": r(D, std=0.1)})
        return w
    gem = t.startswith("gemma")
    nw = (lambda n: r(n, std=0.1)) if gem else (lambda n: 1 + r(n, std=0.1))
    w["model.embed_tokens.weight"] = r(V, D, std=0.5 / (math.sqrt(D) if gem else 1))
    w["model.norm.weight"] = nw(D)
    if not c.get("tie_word_embeddings", gem):
        w["lm_head.weight"] = r(V, D, std=1 / math.sqrt(D))
    for l in range(L):
        p = "model.layers.%d." % l
        w.update({p + "input_layernorm.weight": nw(D),
                  p + "self_attn.q_proj.weight": r(H * hd, D, std=1.5 / math.sqrt(D)),
                  p + "self_attn.k_proj.weight": r(Hkv * hd, D, std=1.5 / math.sqrt(D)),
                  p + "self_attn.v_proj.weight": r(Hkv * hd, D, std=1 / math.sqrt(D)),
                  p + "self_attn.o_proj.weight": r(D, H * hd, std=1 / math.sqrt(H * hd)),
                  p + "mlp.gate_proj.weight": r(F, D, std=1 / math.sqrt(D)),
                  p + "mlp.up_proj.weight": r(F, D, std=1 / math.sqrt(D)),
                  p + "mlp.down_proj.weight": r(D, F, std=1 / math.sqrt(F))})
        if gem:
            w.update({p + "post_attention_layernorm.weight": nw(D), p + "pre_feedforward_layernorm.weight": nw(D),
                      p + "post_feedforward_layernorm.weight": nw(D)})
        else:
            w[p + "post_attention_layernorm.weight"] = nw(D)
        if t == "qwen2" or c.get("attention_bias"):
            for n, o in (("q", H * hd), ("k", Hkv * hd), ("v", Hkv * hd)):
                w[p + "self_attn.%s_proj.bias" % n] = r(o, std=0.1)
        if c.get("attention_bias"):
            w[p + "self_attn.o_proj.bias"] = r(D, std=0.1)
        if t in ("qwen3", "gemma3_text"):
            w[p + "self_attn.q_norm.weight"] = nw(hd)
            w[p + "self_attn.k_norm.weight"] = nw(hd)
    return w


# Gemma3TextConfig's defaults (transformers) for what a multimodal config
# leaves out of its text_config
GEMMA3_TEXT_DEFAULTS = {"rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "rms_norm_eps": 1e-6,
                        "hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 256,
                        "sliding_window_pattern": 6}


def write_checkpoint(d, cfg, dtype, shards, seed=1, multimodal=False):
    """config.json, the weights (one file or two shards and the index),
    tokenizer.json; returns the config as the reference reads it and the
    weights as the reader sees them (by the text model's names). multimodal:
    Gemma 3's wrapper (model_type gemma3, text_config, language_model.model.*
    tensors and a vision tower's beside them)."""
    os.makedirs(d, exist_ok=True)
    c = dict(cfg)
    c.setdefault("vocab_size", VOCAB)
    c.setdefault("max_position_embeddings", 64)
    c.setdefault("bos_token_id", VOCAB - 1)
    text_cfg = dict(c)
    if multimodal:
        for k, v in GEMMA3_TEXT_DEFAULTS.items():
            c.setdefault(k, v)
    w = weights(c, seed)
    if multimodal:
        g = torch.Generator().manual_seed(seed + 100)
        w = {"language_model." + k: v for k, v in w.items()}
        w["vision_tower.vision_model.embeddings.patch_embedding.weight"] = torch.randn(8, 3, 2, 2, generator=g,
                                                                                        dtype=F64)
        w["multi_modal_projector.mm_input_projection_weight"] = torch.randn(8, 32, generator=g, dtype=F64)
    if shards:
        names = sorted(w)
        half = len(names) // 2
        parts = [names[:half], names[half:]]
        got, wmap = {}, {}
        for i, part in enumerate(parts):
            fn = "model-%05d-of-%05d.safetensors" % (i + 1, len(parts))
            got.update(st_write(os.path.join(d, fn), {k: w[k] for k in part}, dtype))
            wmap.update({k: fn for k in part})
        json.dump({"metadata": {"total_size": 0}, "weight_map": wmap},
                  open(os.path.join(d, "model.safetensors.index.json"), "w"))
    else:
        got = st_write(os.path.join(d, "model.safetensors"), w, dtype)
    if multimodal:
        got = {k[len("language_model."):]: v for k, v in got.items() if k.startswith("language_model.")}
        outer = {"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"],
                 "text_config": text_cfg, "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 8},
                 "image_token_index": 7, "mm_tokens_per_image": 4, "eos_token_id": [1, 106]}
        json.dump(outer, open(os.path.join(d, "config.json"), "w"), indent=1)
    else:
        json.dump(c, open(os.path.join(d, "config.json"), "w"), indent=1)
    write_tokenizer(d, VOCAB)
    vocab = json.load(open(os.path.join(d, "vocab.json"), encoding="utf-8"))
    merges = [l.rstrip("\n") for l in open(os.path.join(d, "merges.txt"), encoding="utf-8")][1:]
    json.dump({"version": "1.0", "model": {"type": "BPE", "vocab": vocab, "merges": merges}},
              open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8"), ensure_ascii=False)
    json.dump({"bos_token": "<|endoftext|>"}, open(os.path.join(d, "tokenizer_config.json"), "w"))
    os.remove(os.path.join(d, "vocab.json"))
    os.remove(os.path.join(d, "merges.txt"))
    return c, got


# -------------------------------------------------------------- reference
def rms_norm(x, w, eps, plus1):
    y = x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)
    return y * ((1 + w) if plus1 else w)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_erf(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def silu(x):
    return x * torch.sigmoid(x)


def rope_freqs(rot, base, scaling):
    """Inverse frequencies of the rot rotary dimensions (pairs i, i + rot/2)."""
    inv = [1.0 / base ** (2 * i / rot) for i in range(rot // 2)]
    if not scaling or scaling.get("rope_type", scaling.get("type")) == "default":
        return torch.tensor(inv, dtype=DT)
    kind, f = scaling.get("rope_type", scaling.get("type")), scaling["factor"]
    if kind == "linear":
        return torch.tensor([v / f for v in inv], dtype=DT)
    assert kind == "llama3"
    lo, hi, old = scaling["low_freq_factor"], scaling["high_freq_factor"], scaling["original_max_position_embeddings"]
    out = []
    for v in inv:
        wavelen = 2 * math.pi / v
        if wavelen < old / hi:        # high frequencies kept
            out.append(v)
        elif wavelen > old / lo:      # low frequencies divided by the factor
            out.append(v / f)
        else:                         # between: a blend
            s = (old / wavelen - lo) / (hi - lo)
            out.append((1 - s) * v / f + s * v)
    return torch.tensor(out, dtype=DT)


def apply_rope(x, inv, rot):
    """x [T, heads, hd]: the first rot dims rotated by position, in halves."""
    T = x.shape[0]
    ang = torch.arange(T, dtype=DT)[:, None] * inv[None, :]
    cos, sin = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    h = rot // 2
    x1, x2, rest = x[..., :h], x[..., h:rot], x[..., rot:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin, rest], dim=-1)


def reference(c, w, ids, edit=None):
    """Hook rows {(kind, layer): [T, width]} and logits [T, V]; edit =
    (kind, layer) halves that point before it is recorded."""
    t = c["model_type"]
    neox, gem = t == "gpt_neox", t.startswith("gemma")
    D, L, H = c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"]
    Hkv, hd = c.get("num_key_value_heads", H), head_dim(c)
    T = len(ids)
    rot = int(hd * c.get("rotary_pct", c.get("partial_rotary_factor", 1.0)))
    theta = c.get("rope_theta", c.get("rotary_emb_base", 10000.0))
    inv_global = rope_freqs(rot, theta, c.get("rope_scaling"))
    inv_local = rope_freqs(rot, c.get("rope_local_base_freq", 10000.0), None) if t == "gemma3_text" else inv_global
    if t == "gemma2":
        sliding = [l % 2 == 0 for l in range(L)]
    elif t == "gemma3_text":
        if c.get("layer_types"):
            sliding = [s == "sliding_attention" for s in c["layer_types"]]
        else:
            sliding = [(l + 1) % c.get("sliding_window_pattern", 6) != 0 for l in range(L)]
    else:
        sliding = [False] * L
    scale = (c["query_pre_attn_scalar"] if gem else hd) ** -0.5
    cap, fcap = c.get("attn_logit_softcapping"), c.get("final_logit_softcapping")
    eps = c.get("layer_norm_eps" if neox else "rms_norm_eps", 1e-6)
    act = gelu_erf if neox else gelu_tanh if gem else silu
    norm = (lambda x, p: layer_norm(x, w[p + ".weight"], w[p + ".bias"], eps)) if neox else \
        (lambda x, p: rms_norm(x, w[p + ".weight"], eps, gem))
    lin = lambda x, p: x @ w[p + ".weight"].T + (w[p + ".bias"] if p + ".bias" in w else 0)
    out = {}

    def hook(kind, l, x):
        if edit == (kind, l):
            x = x * 0.5
        out[(kind, l)] = x.clone()
        return x

    pre = "gpt_neox" if neox else "model"
    x = w[pre + (".embed_in.weight" if neox else ".embed_tokens.weight")][ids]
    if gem:
        x = x * math.sqrt(D)
    pos = torch.arange(T)
    for l in range(L):
        p = "%s.layers.%d." % (pre, l)
        x = hook("resid_pre", l, x)
        h = norm(x, p + "input_layernorm")
        if neox:
            qkv = lin(h, p + "attention.query_key_value").view(T, H, 3 * hd)
            q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
        else:
            q = lin(h, p + "self_attn.q_proj").view(T, H, hd)
            k = lin(h, p + "self_attn.k_proj").view(T, Hkv, hd)
            v = lin(h, p + "self_attn.v_proj").view(T, Hkv, hd)
        if p + "self_attn.q_norm.weight" in w:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps, gem)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps, gem)
        inv = inv_local if sliding[l] else inv_global
        q, k = apply_rope(q, inv, rot), apply_rope(k, inv, rot)
        rep = H // k.shape[1]
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        s = torch.einsum("qhd,khd->hqk", q, k) * scale
        if cap:
            s = cap * torch.tanh(s / cap)
        allowed = pos[None, :] <= pos[:, None]
        if sliding[l]:
            allowed &= pos[:, None] - pos[None, :] < c["sliding_window"]
        s = s.masked_fill(~allowed[None], float("-inf"))
        o = torch.einsum("hqk,khd->qhd", torch.softmax(s, dim=-1), v).reshape(T, H * hd)
        a = lin(o, p + ("attention.dense" if neox else "self_attn.o_proj"))
        if gem:
            a = rms_norm(a, w[p + "post_attention_layernorm.weight"], eps, True)
        a = hook("attn_out", l, a)
        par = neox and c.get("use_parallel_residual", True)
        if not par:
            x = x + a
        if neox:
            m_in = norm(x, p + "post_attention_layernorm")
        elif gem:
            m_in = rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps, True)
        else:
            m_in = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps, False)
        m_in = hook("mlp_in", l, m_in)
        if neox:
            hid = act(lin(m_in, p + "mlp.dense_h_to_4h"))
        else:
            hid = act(lin(m_in, p + "mlp.gate_proj")) * lin(m_in, p + "mlp.up_proj")
        hid = hook("mlp_hidden", l, hid)
        mo = lin(hid, p + ("mlp.dense_4h_to_h" if neox else "mlp.down_proj"))
        if gem:
            mo = rms_norm(mo, w[p + "post_feedforward_layernorm.weight"], eps, True)
        mo = hook("mlp_out", l, mo)
        x = x + a + mo if par else x + mo
        x = hook("resid_post", l, x)
    if neox:
        x = layer_norm(x, w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"], eps)
        logits = x @ w["embed_out.weight"].T
    else:
        x = rms_norm(x, w["model.norm.weight"], eps, gem)
        logits = x @ w.get("lm_head.weight", w["model.embed_tokens.weight"]).T
    if fcap:
        logits = fcap * torch.tanh(logits / fcap)
    return out, logits


# ------------------------------------------------------------------ check
def read_run(path, c, T):
    D, L, F = c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"]
    raw = open(path, "rb").read()
    vals = torch.tensor(struct.unpack("<%df" % (len(raw) // 4), raw), dtype=F64)
    out, at = {}, 0
    for l in range(L):
        for k in KINDS:
            wd = F if k == "mlp_hidden" else D
            out[(k, l)] = vals[at:at + T * wd].view(T, wd)
            at += T * wd
    lg = vals[at:at + T * c["vocab_size"]].view(T, c["vocab_size"])
    at += T * c["vocab_size"]
    return out, lg, at == len(vals)


def worst(a, b):
    return float((a - b).abs().max() / max(float(b.abs().max()), 1e-30))


def compare(name, got, want):
    """(ok, message): every tensor within TOL of the largest value."""
    bad = [(worst(got[k], want[k]), k) for k in want]
    e, k = max(bad)
    return e <= TOL, "%s: worst %s.%d off by %.2e of its largest value (tolerance %g)" % (name, k[0], k[1], e, TOL)


def ok(n):
    print("ok " + n)


def fail(n, why):
    print("FAIL %s: %s" % (n, why))


def check(tool, work):
    ids_all = [5, 77, 260, 3, 298, 120, 9, 44, 200, 13, 150, 31, 99, 250, 64, 7, 180, 222]
    for name in CHECKED:
        case = CASES[name]
        d = os.path.join(work, name)
        c, w = write_checkpoint(d, case["cfg"], case["dtype"], case["shards"], multimodal=case.get("multimodal", False))
        T = len(ids_all)
        want, wlg = reference(c, w, ids_all)
        for edit in (None, ("mlp_out", 0), ("resid_pre", c["num_hidden_layers"] - 1)):
            tag = name if edit is None else "%s, %s.%d halved in place" % (name, edit[0], edit[1])
            if edit is not None:
                want, wlg = reference(c, w, ids_all, edit)
            out = os.path.join(work, name + "-out")
            r = subprocess.run([tool, "run", d, out, "none" if edit is None else "%s.%d" % edit] +
                               [str(i) for i in ids_all], capture_output=True, text=True)
            if r.returncode != 0:
                fail(tag, "hf-tool exited %d: %s" % (r.returncode, r.stderr.strip()[:300]))
                continue
            for mode in ("fwd", "step"):
                got, glg, whole = read_run(out + "." + mode, c, T)
                what = "batched" if mode == "fwd" else "through the KV cache"
                if not whole:
                    fail("%s: %s" % (tag, what), "output size does not match the shapes")
                    continue
                want_all = dict(want)
                want_all[("logits", -1)] = wlg
                got_all = dict(got)
                got_all[("logits", -1)] = glg
                good, msg = compare("%s: every hook point and the logits, %s" % (tag, what), got_all, want_all)
                (ok if good else lambda n: fail(n, msg))("%s: every hook point and the logits, %s" % (tag, what))


# -------------------------------------------------------------------- bad
BAD_BASE = CASES["llama-gqa2-tied-bf16-sharded"]


def bad(d, kind):
    cfg = dict(BAD_BASE["cfg"])
    shards = kind in ("shard", "path")
    if kind == "arch":
        cfg["model_type"] = "mamba"
    c, _ = write_checkpoint(d, cfg, "BF16" if kind == "inf" else "F32", shards)
    if kind == "inf":
        w = weights(c, 1)
        w["model.layers.1.mlp.up_proj.weight"][3, 5] = float("inf")
        st_write(os.path.join(d, "model.safetensors"), w, "BF16")
    if kind == "shard":
        os.remove(os.path.join(d, "model-00002-of-00002.safetensors"))
    elif kind == "path":
        p = os.path.join(d, "model.safetensors.index.json")
        idx = json.load(open(p))
        k = sorted(idx["weight_map"])[0]
        idx["weight_map"][k] = "../elsewhere.safetensors"
        json.dump(idx, open(p, "w"))
    elif kind == "shape":
        c["intermediate_size"] += 8
        json.dump(c, open(os.path.join(d, "config.json"), "w"))
    elif kind == "vocab":
        c["vocab_size"] = VOCAB - 1
        c["bos_token_id"] = 1
        json.dump(c, open(os.path.join(d, "config.json"), "w"))
        # the embedding agrees with the config: only the tokenizer is larger
        w = weights(c, 1)
        st_write(os.path.join(d, "model.safetensors"), w, "F32")


def main():
    if sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "model":
        case = CASES[sys.argv[3]]
        dtype = sys.argv[4].upper() if len(sys.argv) > 4 else case["dtype"]
        write_checkpoint(sys.argv[2], case["cfg"], dtype, "shards" in sys.argv[5:])
    elif sys.argv[1] == "sae":
        d, mdir, hook, n = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
        d_in = json.load(open(os.path.join(mdir, "config.json")))["hidden_size"]
        make_sae(d, d_in, n, "topk", "new", hook)
        # decoder rows along the encoder's, so clamping moves a feature
        p = os.path.join(d, "sae_weights.safetensors")
        raw = open(p, "rb").read()
        n_h = struct.unpack("<Q", raw[:8])[0]
        hdr = json.loads(raw[8:8 + n_h])
        data = bytearray(raw[8 + n_h:])
        e0, e1 = hdr["W_enc"]["data_offsets"]
        we = torch.tensor(struct.unpack("<%df" % ((e1 - e0) // 4), data[e0:e1])).view(d_in, n)
        o0, o1 = hdr["W_dec"]["data_offsets"]
        data[o0:o1] = struct.pack("<%df" % (d_in * n), *we.T.contiguous().view(-1).tolist())
        open(p, "wb").write(raw[:8 + n_h] + bytes(data))
    elif sys.argv[1] == "bad":
        bad(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: hf_ref.py check TOOL WORK | model DIR CASE [dtype] [shards] | bad DIR KIND")


if __name__ == "__main__":
    main()
