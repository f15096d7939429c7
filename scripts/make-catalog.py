#!/usr/bin/env python3
"""Converts llmfit's model list (hf_models.json, MIT) into Baton's own catalog, Catalog/models.json,
which the build embeds into BatonFit. Keeps what the fit analysis and the node API read, in a
compact form with stable order (by name), and refuses to write a catalog of fewer than 1,500 models.

Entries that name the same model (the same last path segment once lower-cased and stripped of
"-", "_" and "."; llmfit's own rule) are merged into the first of them, as llmfit does when it
loads the list: the larger parameter count, memory figures and context length, MoE facts from the
first entry that has them, the later release date, the union of capabilities and GGUF sources,
and the first known head, layer and licence facts.

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

models.sort(key=lambda e: e["name"])
if len(models) < 1500:
    sys.exit("make-catalog: only %d models in %s; refusing to write a catalog of fewer than 1500" % (len(models), source))
os.makedirs(os.path.dirname(target), exist_ok=True)
with open(target, "w") as out:
    out.write("[\n" + ",\n".join(json.dumps(e, separators=(",", ":"), sort_keys=True) for e in models) + "\n]\n")
print("make-catalog: %d models written to %s" % (len(models), target))
