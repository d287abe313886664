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
    p.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
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


def main(argv):
    a = parse_args(argv)
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
