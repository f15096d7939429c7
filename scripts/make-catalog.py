#!/usr/bin/env python3
"""Converts llmfit's model list (hf_models.json, MIT) into Baton's own catalog, Catalog/models.json,
which the build embeds into BatonFit. Keeps what the fit analysis and the node API read, in a
compact form with stable order (by name), and refuses to write a catalog of fewer than 1,500 models.

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


models = []
seen = set()
for m in json.load(open(source)):
    name = m.get("name")
    params = billions(m.get("parameters_raw"))
    if not name or name in seen or params is None:
        continue
    seen.add(name)
    entry = {
        "name": name,
        "provider": m.get("provider") or name.split("/")[0],
        "parameter_count": m.get("parameter_count") or "",
        "params_b": params,
        "context_length": int(m.get("context_length") or 4096),
        "use_case": m.get("use_case") or "General purpose",
        "release_date": m.get("release_date"),
        "format": (m.get("format") or "gguf").lower(),
        "quantization": m.get("quantization") or "Q4_K_M",
        "min_ram_gb": m.get("min_ram_gb"),
        "recommended_ram_gb": m.get("recommended_ram_gb"),
        "min_vram_gb": m.get("min_vram_gb"),
    }
    if m.get("is_moe"):
        entry["is_moe"] = True
        entry["active_params_b"] = billions(m.get("active_parameters"))
        entry["num_experts"] = m.get("num_experts")
        entry["active_experts"] = m.get("active_experts")
    for key, out in [("num_hidden_layers", "layers"), ("num_key_value_heads", "kv_heads"),
                     ("num_attention_heads", "attention_heads"), ("head_dim", "head_dim")]:
        if isinstance(m.get(key), int) and m[key] > 0:
            entry[out] = m[key]
    if m.get("gguf_sources"):
        entry["gguf_sources"] = [s["repo"] for s in m["gguf_sources"] if s.get("repo")]
    models.append({k: v for k, v in entry.items() if v is not None})

models.sort(key=lambda e: e["name"])
if len(models) < 1500:
    sys.exit("make-catalog: only %d models in %s; refusing to write a catalog of fewer than 1500" % (len(models), source))
os.makedirs(os.path.dirname(target), exist_ok=True)
with open(target, "w") as out:
    out.write("[\n" + ",\n".join(json.dumps(e, separators=(",", ":"), sort_keys=True) for e in models) + "\n]\n")
print("make-catalog: %d models written to %s" % (len(models), target))
