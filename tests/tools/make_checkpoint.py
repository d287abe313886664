#!/usr/bin/python3
"""make_checkpoint.py - writes a small Hugging Face-format BERT cross-encoder
folder (BertForSequenceClassification, num_labels=1) with random weights:
config.json, model.safetensors (or shards + index), vocab.txt,
tokenizer_config.json.

Needs only numpy (Debian's python3-numpy); safetensors files are written by
hand so that no Hugging Face package is required. Deterministic for a seed.

Examples:
  make_checkpoint.py --preset tiny --out /tmp/ck
  make_checkpoint.py --preset minilm-l6 --vocab bert-file vocab.txt --dtype f16 --shards 3 --out /tmp/ck
  make_checkpoint.py --preset t5-base [--gated] [--mvp] --dtype bf16 --out /tmp/t5  (T5ForConditionalGeneration)
  make_checkpoint.py --preset xlmr-tiny [--tokenizer-dir DIR] --out /tmp/xlmr  (XLMRobertaForSequenceClassification)
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

PRESETS = {
    # layers, hidden, heads, intermediate, vocab, max position
    "tiny": (2, 64, 4, 256, 1000, 128),
    "minilm-l6": (6, 384, 12, 1536, 30522, 512),
    "tinybert-l2": (2, 128, 2, 512, 30522, 512),
}

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Qwen3ForCausalLM rerankers (see qwen_main): layers, hidden, heads, kv heads,
# head_dim, intermediate, vocab, max position.
QWEN_PRESETS = {
    "qwen3-tiny": (2, 64, 4, 2, 16, 128, 1000, 4096),
    "qwen3-0.6b": (28, 1024, 16, 8, 128, 3072, 151669, 40960),
}

# Common English words, so that demo text tokenizes into whole words.
WORDS = """
the of and to a in is it you that he was for on are with as i his they be at one
have this from or had by hot word but what some we can out other were all there
when up use your how said an each she which do their time if will way about many
then them write would like so these her long make thing see him two has look more
day could go come did number sound no most people my over know water than call
first who may down side been now find any new work part take get place made live
where after back little only round man year came show every good me give our under
name very through just form sentence great think say help low line differ turn
cause much mean before move right boy old too same tell does set three want air
well also play small end put home read hand port large spell add even land here
must big high such follow act why ask men change went light kind off need house
picture try us again animal point mother world near build self earth father head
stand own page should country found answer school grow study still learn plant
cover food sun four between state keep eye never last let thought city tree cross
farm hard start might story saw far sea draw left late run while press close night
real life few north open seem together next white children begin got walk example
ease paper group always music those both mark often letter until mile river car
feet care second book carry took science eat room friend began idea fish mountain
stop once base hear horse cut sure watch color face wood main enough plain girl
usual young ready above ever red list though feel talk bird soon body dog family
direct pose leave song measure door product black short numeral class wind question
happen complete ship area half rock order fire south problem piece told knew pass
since top whole king space heard best hour better true during hundred five remember
step early hold west ground interest reach fast verb sing listen six table travel
less morning ten simple several vowel toward war lay against pattern slow center
love person money serve appear road map rain rule govern pull cold notice voice
unit power town fine certain fly fall lead cry dark machine note wait plan figure
star box noun field rest correct able pound done beauty drive stood contain front
teach week final gave green oh quick develop ocean warm free minute strong special
mind behind clear tail produce fact street inch multiply nothing course stay wheel
full force blue object decide surface deep moon island foot system busy test record
boat common gold possible plane stead dry wonder laugh thousand ago ran check game
shape equate miss brought heat snow tire bring yes distant fill east paint language
among what's query passage search rank document answer model health symptoms cause
treatment definition average cost weather population history
""".split()

SUFFIXES = ["##s", "##es", "##ed", "##ing", "##ly", "##er", "##est", "##ion", "##al", "##ness"]


def english_vocab(size):
    """[PAD] [UNK] [CLS] [SEP] [MASK], printable ASCII characters and their
    ## forms, common words and suffixes, then [unusedN] fillers."""
    toks = list(SPECIAL)
    chars = [chr(c) for c in range(33, 127) if not ("A" <= chr(c) <= "Z")]  # uncased
    toks += chars
    toks += ["##" + c for c in chars]
    seen = set(toks)
    for w in WORDS + SUFFIXES:
        if w not in seen:
            seen.add(w)
            toks.append(w)
    i = 0
    while len(toks) < size:
        toks.append("[unused%d]" % i)
        i += 1
    return toks[:size]


def read_vocab_file(path):
    # Same rule as transformers' load_vocab: readlines, strip only "\n".
    with open(path, "r", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f.readlines()]


def f32_to_bf16_bits(a):
    """Round-to-nearest-even float32 -> bfloat16 bit patterns (uint16)."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    out = ((bits + rounding) >> 16).astype(np.uint16)
    nan = np.isnan(a)
    out[nan] = 0x7FC0
    return out


def encode(a, dtype):
    a = np.asarray(a, dtype=np.float32)
    if dtype == "f32":
        return "F32", a.astype("<f4").tobytes()
    if dtype == "f16":
        return "F16", a.astype("<f2").tobytes()
    return "BF16", f32_to_bf16_bits(a).astype("<u2").tobytes()


def bert_tensors(cfg, rng, classifier_std):
    """State dict of BertForSequenceClassification (num_labels=1), in the
    order transformers builds it. Linear weights are [out, in]."""
    h, inter, std = cfg["hidden_size"], cfg["intermediate_size"], cfg["initializer_range"]
    t = {}

    def normal(shape, s):
        return (rng.standard_normal(shape) * s).astype(np.float32)

    def norm(prefix):
        # Norm weights away from 1 and biases away from 0 so that a mistake
        # in how they are applied shows in the scores.
        t[prefix + ".weight"] = (1.0 + 0.1 * rng.standard_normal(h)).astype(np.float32)
        t[prefix + ".bias"] = normal(h, 0.05)

    def linear(prefix, out_f, in_f, s=std):
        t[prefix + ".weight"] = normal((out_f, in_f), s)
        t[prefix + ".bias"] = normal(out_f, 0.05)

    e = "bert.embeddings."
    t[e + "word_embeddings.weight"] = normal((cfg["vocab_size"], h), std)
    t[e + "position_embeddings.weight"] = normal((cfg["max_position_embeddings"], h), std)
    t[e + "token_type_embeddings.weight"] = normal((cfg["type_vocab_size"], h), std)
    norm(e + "LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = "bert.encoder.layer.%d." % i
        for n in ("query", "key", "value"):
            linear(p + "attention.self." + n, h, h)
        linear(p + "attention.output.dense", h, h)
        norm(p + "attention.output.LayerNorm")
        linear(p + "intermediate.dense", inter, h)
        linear(p + "output.dense", h, inter)
        norm(p + "output.LayerNorm")
    linear("bert.pooler.dense", h, h)
    linear("classifier", 1, h, classifier_std)
    return t


def write_safetensors(path, tensors, dtype):
    """u64 LE header length, JSON header (padded with spaces to 8 bytes, as
    the safetensors library does), then the tensors back to back."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = tensors[name]
        code, raw = encode(a, dtype)
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - (8 + len(hjson)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)
    return offset


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def make_config(a, dtype):
    torch_dtype = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[dtype]
    return {
        "architectures": ["BertForSequenceClassification"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": a.hidden,
        "id2label": {"0": "LABEL_0"},
        "initializer_range": a.init_std,
        "intermediate_size": a.intermediate,
        "label2id": {"LABEL_0": 0},
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": a.max_position,
        "model_type": "bert",
        "num_attention_heads": a.heads,
        "num_hidden_layers": a.layers,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "torch_dtype": torch_dtype,
        "transformers_version": "4.47.1",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": a.vocab_size,
    }


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS) + sorted(QWEN_PRESETS), default="tiny")
    p.add_argument("--tokenizer-json", metavar="PATH",
                   help="qwen presets: copy this tokenizer.json (e.g. the real Qwen3 one) instead "
                        "of writing a small synthetic byte-level one")
    p.add_argument("--massive-channels", type=int, default=0, metavar="N",
                   help="qwen presets: N hidden channels of the embedding scaled by "
                        "--massive-scale, the few huge residual channels real LLMs have "
                        "(what makes per-token int8 activations lose the small channels)")
    p.add_argument("--massive-scale", type=float, default=50.0)
    p.add_argument("--untied-head", choices=["copy", "random"],
                   help="qwen presets: tie_word_embeddings false and an explicit lm_head.weight, "
                        "a copy of the embedding (same scores as tied) or random")
    p.add_argument("--layers", type=int)
    p.add_argument("--hidden", type=int)
    p.add_argument("--heads", type=int)
    p.add_argument("--intermediate", type=int)
    p.add_argument("--vocab-size", type=int)
    p.add_argument("--max-position", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--classifier-std", type=float, default=1.0,
                   help="std of the classifier weight (large so that scores spread widely)")
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--vocab", nargs="+", default=["english"], metavar="KIND",
                   help="'english' (synthetic) or 'bert-file PATH' (a vocab.txt)")
    p.add_argument("--init-std", type=float, default=0.02,
                   help="std of the random weights (initializer_range; transformers' default 0.02 "
                        "gives a [CLS] vector that hardly depends on the input: use e.g. 0.1 for "
                        "models whose scores should vary between passages)")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)

    if a.preset in QWEN_PRESETS:
        return a
    explicit_vocab_size = a.vocab_size is not None
    layers, hidden, heads, inter, vocab, maxpos = PRESETS[a.preset]
    a.layers = layers if a.layers is None else a.layers
    a.hidden = hidden if a.hidden is None else a.hidden
    a.heads = heads if a.heads is None else a.heads
    a.intermediate = inter if a.intermediate is None else a.intermediate
    a.vocab_size = vocab if a.vocab_size is None else a.vocab_size
    a.max_position = maxpos if a.max_position is None else a.max_position

    if a.vocab[0] == "english" and len(a.vocab) == 1:
        a.vocab_tokens = None
    elif a.vocab[0] == "bert-file" and len(a.vocab) == 2:
        a.vocab_tokens = read_vocab_file(a.vocab[1])
        if explicit_vocab_size and a.vocab_size != len(a.vocab_tokens):
            p.error("--vocab-size %d but %s has %d tokens" % (a.vocab_size, a.vocab[1], len(a.vocab_tokens)))
        a.vocab_size = len(a.vocab_tokens)
    else:
        p.error("--vocab takes 'english' or 'bert-file PATH'")

    for name in ("layers", "hidden", "heads", "intermediate", "max_position", "shards"):
        if getattr(a, name) < 1:
            p.error("--%s must be >= 1" % name.replace("_", "-"))
    if a.hidden % a.heads:
        p.error("--hidden %d is not a multiple of --heads %d" % (a.hidden, a.heads))
    if a.vocab_size < len(SPECIAL):
        p.error("--vocab-size must be at least %d" % len(SPECIAL))
    return a


def qwen_tensors(a, rng):
    """State dict of Qwen3ForCausalLM with tied embeddings (no lm_head), in
    float32: std init_std, RMSNorm weights 1 + 0.1 N(0, 1)."""
    h, d, f = a.hidden, a.head_dim, a.intermediate
    t = {}

    def normal(shape):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(a.init_std))

    def norm(name, n):
        t[name] = (1.0 + 0.1 * rng.standard_normal(n, dtype=np.float32)).astype(np.float32)

    t["model.embed_tokens.weight"] = normal((a.vocab_size, h))
    for k in range(a.massive_channels):
        t["model.embed_tokens.weight"][:, (7 * k + 3) % h] *= np.float32(a.massive_scale)
    for i in range(a.layers):
        p = "model.layers.%d." % i
        norm(p + "input_layernorm.weight", h)
        norm(p + "post_attention_layernorm.weight", h)
        t[p + "self_attn.q_proj.weight"] = normal((a.heads * d, h))
        t[p + "self_attn.k_proj.weight"] = normal((a.kv_heads * d, h))
        t[p + "self_attn.v_proj.weight"] = normal((a.kv_heads * d, h))
        t[p + "self_attn.o_proj.weight"] = normal((h, a.heads * d))
        norm(p + "self_attn.q_norm.weight", d)
        norm(p + "self_attn.k_norm.weight", d)
        t[p + "mlp.gate_proj.weight"] = normal((f, h))
        t[p + "mlp.up_proj.weight"] = normal((f, h))
        t[p + "mlp.down_proj.weight"] = normal((h, f))
    norm("model.norm.weight", h)
    if a.untied_head == "copy":
        t["lm_head.weight"] = t["model.embed_tokens.weight"].copy()
    elif a.untied_head == "random":
        t["lm_head.weight"] = normal((a.vocab_size, h))
    return t


def qwen_synthetic_tokenizer(vocab_size):
    """A byte-level BPE tokenizer.json: the 256 bytes, merges giving "yes",
    "no" and two-letter tokens up to vocab_size - 3, then <|endoftext|>,
    <|im_start|>, <|im_end|> as special added tokens."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    byte_char, extra = {}, 0
    for b in range(256):
        if b in printable:
            byte_char[b] = chr(b)
        else:
            byte_char[b] = chr(256 + extra)
            extra += 1
    vocab = {byte_char[b]: b for b in range(256)}
    merges = [["y", "e"], ["ye", "s"], ["n", "o"]]
    letters = "abcdefghijklmnopqrstuvwxyz"
    for x in letters:
        for y in letters:
            if len(vocab) + len(merges) + 3 >= vocab_size:
                break
            if x + y not in ("ye", "no"):
                merges.append([x, y])
    for left, right in merges:
        vocab[left + right] = len(vocab)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    added = [{"id": len(vocab) + i, "content": s, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True} for i, s in enumerate(specials)]
    split = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": split},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": None, "decoder": None,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": merges},
    }


def qwen_main(a):
    """A Qwen3ForCausalLM checkpoint folder (Qwen3-Reranker shape) with random
    weights: config.json, model.safetensors, tokenizer.json."""
    layers, hidden, heads, kv_heads, head_dim, inter, vocab, maxpos = QWEN_PRESETS[a.preset]
    a.layers = layers if a.layers is None else a.layers
    a.hidden = hidden if a.hidden is None else a.hidden
    a.heads = heads if a.heads is None else a.heads
    a.kv_heads, a.head_dim = kv_heads, head_dim
    a.intermediate = inter if a.intermediate is None else a.intermediate
    a.max_position = maxpos if a.max_position is None else a.max_position
    if a.tokenizer_json:
        with open(a.tokenizer_json, encoding="utf-8") as f:
            tok = json.load(f)
        n_tok = max([i for i in tok["model"]["vocab"].values()] + [t["id"] for t in tok["added_tokens"]]) + 1
    else:
        tok = None
        n_tok = 0
    a.vocab_size = (vocab if a.vocab_size is None else a.vocab_size)
    if tok is None:
        tok = qwen_synthetic_tokenizer(a.vocab_size)
    elif n_tok > a.vocab_size:
        sys.exit("%s has %d tokens, more than --vocab-size %d" % (a.tokenizer_json, n_tok, a.vocab_size))
    os.makedirs(a.out, exist_ok=True)
    torch_dtype = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[a.dtype]
    write_json(os.path.join(a.out, "config.json"), {
        "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": None, "eos_token_id": None, "head_dim": a.head_dim, "hidden_act": "silu",
        "hidden_size": a.hidden, "initializer_range": a.init_std, "intermediate_size": a.intermediate,
        "max_position_embeddings": a.max_position, "max_window_layers": a.layers,
        "model_type": "qwen3", "num_attention_heads": a.heads, "num_hidden_layers": a.layers,
        "num_key_value_heads": a.kv_heads, "rms_norm_eps": 1e-6, "rope_scaling": None,
        "rope_theta": 1000000.0, "sliding_window": None,
        "tie_word_embeddings": a.untied_head is None,
        "torch_dtype": torch_dtype, "transformers_version": "4.51.3", "use_cache": True,
        "use_sliding_window": False, "vocab_size": a.vocab_size})
    rng = np.random.default_rng(a.seed)
    write_safetensors(os.path.join(a.out, "model.safetensors"), qwen_tensors(a, rng), a.dtype)
    with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    return 0


# ---- T5 (monoT5 / MVP shapes): a separate generator, dispatched from main()
# when --preset names a t5 shape.

T5_PRESETS = {
    # layers (encoder = decoder), d_model, heads, d_kv, d_ff, vocab
    "t5-tiny": (2, 64, 4, 16, 256, 32128),
    "t5-base": (12, 768, 12, 64, 3072, 32128),
}


def t5_tensors(cfg, rng):
    """State dict of T5ForConditionalGeneration with transformers' init
    scales (T5PreTrainedModel._init_weights, factor 1.0); RMS weights away
    from 1 so that a mistake in applying them shows."""
    d, h, kv, ff = cfg["d_model"], cfg["num_heads"], cfg["d_kv"], cfg["d_ff"]
    inner = h * kv
    t = {}

    def normal(shape, s):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(s)).astype(np.float32)

    def norm(name):
        t[name] = (1.0 + 0.1 * rng.standard_normal(d)).astype(np.float32)

    def attention(p, bias):
        t[p + "q.weight"] = normal((inner, d), (d * kv) ** -0.5)
        t[p + "k.weight"] = normal((inner, d), d ** -0.5)
        t[p + "v.weight"] = normal((inner, d), d ** -0.5)
        t[p + "o.weight"] = normal((d, inner), inner ** -0.5)
        if bias:
            t[p + "relative_attention_bias.weight"] = normal((cfg["relative_attention_num_buckets"], h), d ** -0.5)

    def ffn(p):
        if cfg["is_gated_act"]:
            t[p + "DenseReluDense.wi_0.weight"] = normal((ff, d), d ** -0.5)
            t[p + "DenseReluDense.wi_1.weight"] = normal((ff, d), d ** -0.5)
        else:
            t[p + "DenseReluDense.wi.weight"] = normal((ff, d), d ** -0.5)
        t[p + "DenseReluDense.wo.weight"] = normal((d, ff), ff ** -0.5)
        norm(p + "layer_norm.weight")

    t["shared.weight"] = normal((cfg["vocab_size"], d), 1.0)
    for i in range(cfg["num_layers"]):
        p = "encoder.block.%d.layer." % i
        attention(p + "0.SelfAttention.", i == 0)
        norm(p + "0.layer_norm.weight")
        ffn(p + "1.")
    norm("encoder.final_layer_norm.weight")
    for i in range(cfg["num_decoder_layers"]):
        p = "decoder.block.%d.layer." % i
        attention(p + "0.SelfAttention.", i == 0)
        norm(p + "0.layer_norm.weight")
        attention(p + "1.EncDecAttention.", False)
        norm(p + "1.layer_norm.weight")
        ffn(p + "2.")
    norm("decoder.final_layer_norm.weight")
    if not cfg["tie_word_embeddings"]:
        t["lm_head.weight"] = normal((cfg["vocab_size"], d), 1.0)
    return t


def t5_tokenizer_json(vocab_size):
    """A Unigram tokenizer.json in T5's layout: <pad> </s> <unk>, then
    "\u2581word" pieces of WORDS (so that English demo text is one piece a
    word), single characters, fillers, and <extra_id_99..0> as the last 100
    of 32100 ids (T5's convention)."""
    pieces = ["<pad>", "</s>", "<unk>", "\u2581"]
    seen = set(pieces)
    for w in ["true", "false"] + WORDS + [chr(c) for c in range(33, 127)]:
        for p in ("\u2581" + w, w):
            if p not in seen and "#" not in p:
                seen.add(p)
                pieces.append(p)
    n_pieces = min(vocab_size, 32100) - 100
    i = 0
    while len(pieces) < n_pieces:
        pieces.append("\u2581filler%d" % i)
        i += 1
    vocab = [[p, 0.0 if k < 3 else -1.0 - k / 1000.0] for k, p in enumerate(pieces[:n_pieces])]
    added = [{"id": k, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for k, p in enumerate(["<pad>", "</s>", "<unk>"])]
    for e in range(100):
        vid = n_pieces + 99 - e
        vocab.append(["<extra_id_%d>" % e, 0.0])
        added.append({"id": vid, "content": "<extra_id_%d>" % e, "single_word": False, "lstrip": True,
                      "rstrip": True, "normalized": False, "special": True})
    vocab = vocab[:n_pieces] + sorted(vocab[n_pieces:], key=lambda v: -int(v[0][10:-1]))
    added.sort(key=lambda a: a["id"])
    meta = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, meta]},
            "post_processor": None, "decoder": meta,
            "model": {"type": "Unigram", "unk_id": 2, "vocab": vocab}}


def t5_main(argv):
    p = argparse.ArgumentParser(description="T5ForConditionalGeneration checkpoint (monoT5 / MVP shapes)")
    p.add_argument("--preset", choices=sorted(T5_PRESETS), required=True)
    p.add_argument("--gated", action="store_true",
                   help="T5 v1.1 / flan: gated-gelu FFN, untied lm_head (default: v1.0, relu, tied)")
    p.add_argument("--mvp", action="store_true", help="config.json architectures [\"MVP\"]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--tokenizer-dir", help="copy spiece.model / tokenizer.json / tokenizer_config.json "
                   "from here (e.g. ../shared/tokenizers/t5) instead of writing a synthetic tokenizer.json")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    layers, d, heads, kv, ff, vocab = T5_PRESETS[a.preset]
    cfg = {
        "architectures": ["MVP" if a.mvp else "T5ForConditionalGeneration"],
        "d_ff": ff, "d_kv": kv, "d_model": d, "decoder_start_token_id": 0,
        "dense_act_fn": "gelu_new" if a.gated else "relu", "dropout_rate": 0.0, "eos_token_id": 1,
        "feed_forward_proj": "gated-gelu" if a.gated else "relu", "initializer_factor": 1.0,
        "is_encoder_decoder": True, "is_gated_act": a.gated, "layer_norm_epsilon": 1e-6,
        "model_type": "t5", "num_decoder_layers": layers, "num_heads": heads, "num_layers": layers,
        "pad_token_id": 0, "relative_attention_max_distance": 128,
        "relative_attention_num_buckets": 32, "tie_word_embeddings": not a.gated,
        "torch_dtype": {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[a.dtype],
        "vocab_size": vocab,
    }
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    write_json(os.path.join(a.out, "config.json"), cfg)
    write_safetensors(os.path.join(a.out, "model.safetensors"), t5_tensors(cfg, rng), a.dtype)
    if a.tokenizer_dir:
        import shutil
        for f in ("spiece.model", "tokenizer.json", "tokenizer_config.json"):
            src = os.path.join(a.tokenizer_dir, f)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(a.out, f))
    else:
        with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(t5_tokenizer_json(vocab), f, ensure_ascii=False)
    return 0


# ---- XLM-RoBERTa cross-encoders (bge-reranker-base / v2-m3, mMiniLM): a
# separate generator, dispatched from main() when --preset names an xlmr shape.

XLMR_PRESETS = {
    # layers, hidden, heads, intermediate, vocab, max position (padding_idx 1: 512 usable)
    "xlmr-tiny": (1, 32, 2, 64, 250002, 514),
    "bge-reranker-base": (12, 768, 12, 3072, 250002, 514),
}


def xlmr_tensors(cfg, rng):
    """State dict of XLMRobertaForSequenceClassification (num_labels=1):
    roberta.* without a pooler, RobertaClassificationHead (classifier.dense,
    classifier.out_proj). Norm weights away from 1 and biases away from 0, as
    bert_tensors, so that a mistake in applying them shows."""
    h, inter, std = cfg["hidden_size"], cfg["intermediate_size"], cfg["initializer_range"]
    t = {}

    def normal(shape, s):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(s)).astype(np.float32)

    def norm(prefix):
        t[prefix + ".weight"] = (1.0 + 0.1 * rng.standard_normal(h)).astype(np.float32)
        t[prefix + ".bias"] = normal(h, 0.05)

    def linear(prefix, out_f, in_f, s=std):
        t[prefix + ".weight"] = normal((out_f, in_f), s)
        t[prefix + ".bias"] = normal(out_f, 0.05)

    e = "roberta.embeddings."
    t[e + "word_embeddings.weight"] = normal((cfg["vocab_size"], h), std)
    t[e + "position_embeddings.weight"] = normal((cfg["max_position_embeddings"], h), std)
    t[e + "token_type_embeddings.weight"] = normal((cfg["type_vocab_size"], h), std)
    norm(e + "LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = "roberta.encoder.layer.%d." % i
        for n in ("query", "key", "value"):
            linear(p + "attention.self." + n, h, h)
        linear(p + "attention.output.dense", h, h)
        norm(p + "attention.output.LayerNorm")
        linear(p + "intermediate.dense", inter, h)
        linear(p + "output.dense", h, inter)
        norm(p + "output.LayerNorm")
    linear("classifier.dense", h, h)
    linear("classifier.out_proj", 1, h, 1.0)
    return t


def xlmr_tokenizer_json(vocab_size):
    """A stand-in Unigram tokenizer.json in XLM-R's fairseq layout: <s> <pad>
    </s> <unk> at 0..3, "\u2581word" pieces, fillers, <mask> last."""
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    pieces = list(specials)
    seen = set(pieces)
    for w in WORDS + [chr(c) for c in range(33, 127)]:
        for p in ("\u2581" + w, w):
            if p not in seen and "#" not in p:
                seen.add(p)
                pieces.append(p)
    i = 0
    while len(pieces) < vocab_size - 1:
        pieces.append("\u2581filler%d" % i)
        i += 1
    pieces = pieces[:vocab_size - 1] + ["<mask>"]
    vocab = [[p, 0.0 if k < 4 or p == "<mask>" else -1.0 - k / 1000.0] for k, p in enumerate(pieces)]
    added = [{"id": k, "content": p, "single_word": False, "lstrip": p == "<mask>", "rstrip": False,
              "normalized": False, "special": True}
             for k, p in enumerate(pieces) if k < 4 or p == "<mask>"]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
            "post_processor": None, "decoder": None,
            "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab}}


def xlmr_main(argv):
    p = argparse.ArgumentParser(description="XLMRobertaForSequenceClassification checkpoint "
                                "(bge-reranker shapes)")
    p.add_argument("--preset", choices=sorted(XLMR_PRESETS), required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--init-std", type=float, default=0.02)
    p.add_argument("--tokenizer-dir", help="copy tokenizer.json (or tokenizer.json.gz, unpacked) and "
                   "tokenizer_config.json from here (e.g. ../shared/tokenizers/xlm-roberta) instead "
                   "of writing a synthetic tokenizer.json")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    layers, hidden, heads, inter, vocab, maxpos = XLMR_PRESETS[a.preset]
    cfg = {
        "architectures": ["XLMRobertaForSequenceClassification"],
        "attention_probs_dropout_prob": 0.1, "bos_token_id": 0, "classifier_dropout": None,
        "eos_token_id": 2, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": hidden,
        "id2label": {"0": "LABEL_0"}, "initializer_range": a.init_std, "intermediate_size": inter,
        "label2id": {"LABEL_0": 0}, "layer_norm_eps": 1e-5, "max_position_embeddings": maxpos,
        "model_type": "xlm-roberta", "num_attention_heads": heads, "num_hidden_layers": layers,
        "pad_token_id": 1, "position_embedding_type": "absolute",
        "torch_dtype": {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[a.dtype],
        "transformers_version": "4.47.1", "type_vocab_size": 1, "use_cache": True,
        "vocab_size": vocab,
    }
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    write_json(os.path.join(a.out, "config.json"), cfg)
    write_safetensors(os.path.join(a.out, "model.safetensors"), xlmr_tensors(cfg, rng), a.dtype)
    if a.tokenizer_dir:
        import gzip
        import shutil
        src = os.path.join(a.tokenizer_dir, "tokenizer.json")
        dst = os.path.join(a.out, "tokenizer.json")
        if os.path.exists(src):
            shutil.copyfile(src, dst)
        else:
            with gzip.open(src + ".gz", "rb") as fi, open(dst, "wb") as fo:
                shutil.copyfileobj(fi, fo)
        src = os.path.join(a.tokenizer_dir, "tokenizer_config.json")
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(a.out, "tokenizer_config.json"))
    else:
        with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(xlmr_tokenizer_json(vocab), f, ensure_ascii=False)
    return 0


def main(argv):
    if any(x.startswith("t5-") for x in argv) and "--preset" in argv:
        return t5_main(argv)
    if any(x in XLMR_PRESETS for x in argv) and "--preset" in argv:
        return xlmr_main(argv)
    a = parse_args(argv)
    if a.preset in QWEN_PRESETS:
        return qwen_main(a)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    cfg = make_config(a, a.dtype)
    tensors = bert_tensors(cfg, rng, a.classifier_std)

    write_json(os.path.join(a.out, "config.json"), cfg)
    names = sorted(tensors)
    if a.shards == 1:
        write_safetensors(os.path.join(a.out, "model.safetensors"), tensors, a.dtype)
    else:
        # Split the names, in order, into n non-empty groups of about equal
        # byte size.
        n = min(a.shards, len(names))
        total = sum(tensors[k].size for k in names)
        groups, acc = [[]], 0
        for idx, k in enumerate(names):
            g = len(groups) - 1
            if groups[g] and g < n - 1 and (acc >= total * (g + 1) / n or len(names) - idx <= n - 1 - g):
                groups.append([])
            groups[-1].append(k)
            acc += tensors[k].size
        weight_map, total_size = {}, 0
        for i, g in enumerate(groups):
            fname = "model-%05d-of-%05d.safetensors" % (i + 1, n)
            total_size += write_safetensors(os.path.join(a.out, fname), {k: tensors[k] for k in g}, a.dtype)
            for k in g:
                weight_map[k] = fname
        write_json(os.path.join(a.out, "model.safetensors.index.json"),
                   {"metadata": {"total_size": total_size}, "weight_map": weight_map})

    vocab = a.vocab_tokens if a.vocab_tokens is not None else english_vocab(a.vocab_size)
    with open(os.path.join(a.out, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        for tok in vocab:
            f.write(tok + "\n")
    write_json(os.path.join(a.out, "tokenizer_config.json"), {
        "cls_token": "[CLS]",
        "do_lower_case": True,
        "mask_token": "[MASK]",
        "model_max_length": min(512, a.max_position),
        "pad_token": "[PAD]",
        "sep_token": "[SEP]",
        "strip_accents": None,
        "tokenize_chinese_chars": True,
        "tokenizer_class": "BertTokenizer",
        "unk_token": "[UNK]",
    })
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
