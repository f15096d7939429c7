#!/usr/bin/env python3
"""Converts llmfit's model list (hf_models.json, MIT) into Baton's own catalog, Catalog/models.json,
which the build embeds into BatonFit. Keeps what the fit analysis and the node API read, in a
compact form with stable order (by name), and refuses to write a catalog of fewer than 1,500 models.

Entries that name the same model (the same last path segment once lower-cased and stripped of
"-", "_" and "."; llmfit's own rule) are merged into the first of them, as llmfit does when it
loads the list: the larger parameter count, memory figures and context length, MoE facts from the
first entry that has them, the later release date, the union of capabilities and GGUF sources,
and the first known head, layer and licence facts.

llmfit's ONNX list (onnx_models.json beside the source, when there) is added as llmfit loads it:
each entry named by its id, sized by its smallest preferred ONNX file (q4, q4f16, bnb4, q8, int8,
uint8, fp16, fp32 in that order), with the memory figures, context and use case llmfit derives
from that; an ONNX entry replaces a listed model of the same name.

Usage: scripts/make-catalog.py [Catalog/source/hf_models.json] [Catalog/models.json]
The source is llmfit's hf_models.json as published, kept in the repository so the catalog can be
made again (and checked) from a plain clone.
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
source = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "Catalog", "source", "hf_models.json")
target = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "Catalog", "models.json")


def billions(raw):
    return round(raw / 1e9, 6) if isinstance(raw, (int, float)) and raw > 0 else None


def slug(name):
    return name.split("/")[-1].lower().replace("-", "").replace("_", "").replace(".", "")


def later(a, b):
    """b replaces a when llmfit's Option ordering says b > a (None is the least)."""
    return b is not None and (a is None or b > a)


merged = {}
order = []
for m in json.load(open(source)):
    name = m.get("name")
    if not name or billions(m.get("parameters_raw")) is None:
        continue
    m = dict(m)
    m["capabilities"] = list(m.get("capabilities") or [])
    m["gguf_sources"] = list(m.get("gguf_sources") or [])
    key = slug(name)
    if key not in merged:
        merged[key] = m
        order.append(key)
        continue
    e = merged[key]
    if (m.get("parameters_raw") or 0) > (e.get("parameters_raw") or 0):
        e["parameter_count"], e["parameters_raw"] = m.get("parameter_count"), m.get("parameters_raw")
    for field in ("min_ram_gb", "recommended_ram_gb", "min_vram_gb", "context_length"):
        if (m.get(field) or 0) > (e.get(field) or 0):
            e[field] = m[field]
    if m.get("is_moe") and not e.get("is_moe"):
        e["is_moe"] = True
        for field in ("num_experts", "active_experts", "active_parameters"):
            e[field] = m.get(field)
    if later(e.get("release_date"), m.get("release_date")):
        e["release_date"] = m["release_date"]
    e["capabilities"] += [c for c in m["capabilities"] if c not in e["capabilities"]]
    repos = {s.get("repo") for s in e["gguf_sources"]}
    e["gguf_sources"] += [s for s in m["gguf_sources"] if s.get("repo") not in repos]
    for field in ("num_attention_heads", "num_key_value_heads", "num_hidden_layers", "head_dim", "license"):
        if e.get(field) is None:
            e[field] = m.get(field)

models = []
for key in order:
    m = merged[key]
    name = m["name"]
    params = billions(m.get("parameters_raw"))
    entry = {
        "name": name,
        "provider": m.get("provider") or name.split("/")[0],
        "parameter_count": m.get("parameter_count") or "",
        "params_b": params,
        "parameters_raw": m.get("parameters_raw"),
        "context_length": int(m.get("context_length") or 4096),
        "use_case": m.get("use_case") or "General purpose",
        "release_date": m.get("release_date"),
        "format": (m.get("format") or "gguf").lower(),
        "quantization": m.get("quantization") or "Q4_K_M",
        "min_ram_gb": m.get("min_ram_gb"),
        "recommended_ram_gb": m.get("recommended_ram_gb"),
        "min_vram_gb": m.get("min_vram_gb"),
        "architecture": m.get("architecture"),
        "license": m.get("license"),
    }
    if m["capabilities"]:
        entry["capabilities"] = m["capabilities"]
    if m.get("is_moe"):
        entry["is_moe"] = True
        entry["active_params_b"] = billions(m.get("active_parameters"))
        entry["active_parameters"] = m.get("active_parameters")
        entry["num_experts"] = m.get("num_experts")
        entry["active_experts"] = m.get("active_experts")
    for key2, out in [("num_hidden_layers", "layers"), ("num_key_value_heads", "kv_heads"),
                      ("num_attention_heads", "attention_heads"), ("head_dim", "head_dim"),
                      ("hidden_size", "hidden_size"), ("moe_intermediate_size", "moe_intermediate_size"),
                      ("vocab_size", "vocab_size"),
                      ("shared_expert_intermediate_size", "shared_expert_intermediate_size")]:
        if isinstance(m.get(key2), int) and m[key2] >= 0:
            entry[out] = m[key2]
    if m["gguf_sources"]:
        entry["gguf_sources"] = [s["repo"] for s in m["gguf_sources"] if s.get("repo")]
    models.append({k: v for k, v in entry.items() if v is not None})

def onnx_entry(e):
    files = e.get("onnx_files") or {}
    chosen = next((q for q in ["q4", "q4f16", "bnb4", "q8", "int8", "uint8", "fp16", "fp32"] if q in files), None)
    if chosen is None:
        chosen = min(files, key=lambda q: files[q])
    weights = files[chosen] / 1073741824.0
    min_ram = e.get("min_ram_gb") or max(weights * 1.2, 0.5)
    quant = (e.get("quantization") or chosen).strip().lower()
    quant = {"fp32": "F32", "f32": "F32", "fp16": "F16", "f16": "F16", "bf16": "F16", "q8": "Q8_0", "int8": "Q8_0",
             "uint8": "Q8_0", "q8_0": "Q8_0", "q4": "Q4_0", "q4f16": "Q4_0", "bnb4": "Q4_0", "int4": "Q4_0",
             "q4_0": "Q4_0"}.get(quant, quant)
    count = e.get("parameter_count") or e.get("parameters") or "Unknown"
    raw = e.get("parameters_raw")
    if raw is None and count.strip().upper()[-1:] in ("B", "M"):
        try:
            raw = round(float(count.strip().upper()[:-1]) * (1e9 if count.strip().upper().endswith("B") else 1e6))
        except ValueError:
            raw = None
    text = (e["id"] + (" " + e["name"] if e.get("name") else "")).lower()
    context = e.get("context_length") or (32768 if "32k" in text or "qwen2.5" in text
                                          else 8192 if "8k" in text or "smollm" in text else 4096)
    use_case = e.get("use_case") or ("Instruction-following chat"
                                     if "instruct" in text or "chat" in text or "-it" in text
                                     else "General purpose text generation")
    entry = {
        "name": e["id"], "provider": e.get("provider") or e["id"].split("/")[0], "parameter_count": count,
        "params_b": billions(raw), "parameters_raw": raw, "context_length": context, "use_case": use_case,
        "format": "onnx", "quantization": quant, "min_ram_gb": min_ram,
        "recommended_ram_gb": e.get("recommended_ram_gb") or max(weights * 2.0, min_ram),
        "min_vram_gb": e.get("min_vram_gb") or max(weights * 1.1, 0.5), "license": e.get("license"),
    }
    if e.get("capabilities"):
        entry["capabilities"] = e["capabilities"]
    return {k: v for k, v in entry.items() if v is not None}


onnx_source = os.path.join(os.path.dirname(source), "onnx_models.json")
if os.path.exists(onnx_source):
    onnx = [onnx_entry(e) for e in json.load(open(onnx_source)) if e.get("format") == "onnx"]
    onnx = [e for e in onnx if e.get("params_b")]
    names = {e["name"] for e in onnx}
    models = [m for m in models if m["name"] not in names] + onnx

models.sort(key=lambda e: e["name"])
if len(models) < 1500:
    sys.exit("make-catalog: only %d models in %s; refusing to write a catalog of fewer than 1500" % (len(models), source))
os.makedirs(os.path.dirname(target), exist_ok=True)
with open(target, "w") as out:
    out.write("[\n" + ",\n".join(json.dumps(e, separators=(",", ":"), sort_keys=True) for e in models) + "\n]\n")
print("make-catalog: %d models written to %s" % (len(models), target))
