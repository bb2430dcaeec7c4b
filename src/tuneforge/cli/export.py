"""`tuneforge export SOURCE [key=value ...]`: merge adapters and write a transformers folder, or a GGUF file with
an Ollama Modelfile; the export is checked against its source and the result printed (and saved as
export_verify.json). SOURCE is a run folder, a model folder, or an (LLaMA-Factory) export YAML."""
from __future__ import annotations

import sys

USAGE = """usage: tuneforge export SOURCE [key=value ...] [--key value ...]

SOURCE: a run folder (its base model, adapter and template are used), a model folder, or an export YAML
(LLaMA-Factory's merge_lora examples work as they are).

  tuneforge export saves/run1 --export_dir out/merged
  tuneforge export saves/run1 --export_dir out/gguf --export_format gguf --gguf_type q8_0
  tuneforge export examples/export_merge.yaml

Keys: export_dir, export_format (hf|gguf), gguf_type, export_size (GB per shard), export_device,
export_legacy_format, export_quantization_bit (4|8, hf format), export_hub_model_id, export_verify,
export_probe_prompts; model keys (model_name_or_path, adapter_name_or_path, template). `tuneforge train -h`
lists every key."""


def cmd_export(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        from tuneforge.cli.overrides import overrides_help

        print(USAGE + "\n\n" + overrides_help("export"))
        return 0
    from tuneforge.cli.source import load_command_config
    from tuneforge.export.run import export_model
    from tuneforge.export.verify import ExportMismatch, summary

    cfg = load_command_config(argv, "export")
    try:
        result = export_model(cfg)
    except ExportMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"exported to {result.export_dir}:")
    for path in result.files:
        print(f"  {path.name}")
    if result.checks:
        print(summary(result.checks))
        print(f"  report: {result.report}")
    if result.hub_url:
        print(f"pushed to {result.hub_url}")
    if cfg.export.export_format == "gguf":
        print(f"run it with Ollama: ollama create mymodel -f {result.export_dir / 'Modelfile'}")
    return 0
