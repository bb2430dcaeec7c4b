"""`export_model(cfg)`: the export recipe — check inputs, merge, write (transformers folder or GGUF + Modelfile),
verify, report. Every check on the user's input runs before any model loads."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.export.adapters import check_adapters
from tuneforge.export.merge import (
    Merged,
    check_hub_reachable,
    merge_model,
    on_gpu,
    prepare_for_export,
    push_to_hub,
    save_merged,
    target_dtype,
)
from tuneforge.export.probes import probe_logits
from tuneforge.export.verify import (
    Check,
    compare_logits,
    raise_on_mismatch,
    reload_logits,
    write_report,
)
from tuneforge.model.load import check_model_path


@dataclass
class ExportResult:
    export_dir: Path
    files: list[Path]
    checks: list[Check] = field(default_factory=list)
    report: Path | None = None
    hub_url: str | None = None


def check_export_dir(path: str) -> Path:
    out = Path(path).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError("export_dir exists and is not empty; choose a new folder", file=str(out), field="export_dir")
    return out


def check_quantization(cfg: RunConfig) -> None:
    from transformers import AutoConfig

    from tuneforge.export.quantize import check_quantizable

    config = AutoConfig.from_pretrained(cfg.model.model_name_or_path, trust_remote_code=cfg.model.trust_remote_code)
    check_quantizable(config, cfg.export.export_quantization_bit, on_gpu(cfg.export))


def _check_gguf_arch(cfg: RunConfig) -> None:
    from transformers import AutoConfig

    from tuneforge.export.gguf.write import check_gguf_supported

    try:
        config = AutoConfig.from_pretrained(cfg.model.model_name_or_path,
                                            trust_remote_code=cfg.model.trust_remote_code)
    except OSError as exc:  # offline hub, missing config
        raise UserError(f"could not read the model config: {str(exc).splitlines()[0]}",
                        file=cfg.model.model_name_or_path, field="model_name_or_path") from None
    check_gguf_supported(config, cfg.export.gguf_type)


def check_inputs(cfg: RunConfig) -> tuple[Path, list[Path]]:
    """Everything about the user's input that can be judged without loading a model."""
    if not cfg.export.export_dir:
        raise UserError("is required", field="export_dir")
    export_dir = check_export_dir(cfg.export.export_dir)
    check_model_path(cfg.model.model_name_or_path)
    adapters = check_adapters(cfg.model.model_name_or_path, cfg.model.adapter_paths())
    if cfg.export.export_quantization_bit:
        check_quantization(cfg)
    if cfg.export.export_hub_model_id:
        check_hub_reachable(cfg.export.export_hub_model_id)
    if cfg.export.export_format == "gguf":
        _check_gguf_arch(cfg)
    if cfg.export.export_adapter_only and not adapters:
        raise UserError("needs a LoRA adapter to keep separate (a LoRA run, or adapter_name_or_path); this model "
                        "has none", field="export_adapter_only")
    base = cfg.export.export_base_gguf
    if base and not (Path(base).expanduser().is_file() and base.endswith(".gguf")):
        raise UserError("is not a .gguf file", file=base, field="export_base_gguf")
    return export_dir, adapters


def export_model(cfg: RunConfig) -> ExportResult:
    """Run the whole export; raises UserError for bad input and ExportMismatch when verification fails."""
    export_dir, adapters = check_inputs(cfg)
    keep = adapters[-1] if cfg.export.export_adapter_only else None
    merged = merge_model(cfg, checked=True, keep_last=keep is not None)
    if cfg.export.export_format == "gguf":
        result = _export_gguf(merged, cfg, export_dir, keep)
    else:
        result = _export_hf(merged, cfg, export_dir)
    if result.checks:
        result.report = write_report(export_dir, result.checks, {
            "format": cfg.export.export_format, "base_model": cfg.model.model_name_or_path,
            "adapters": merged.adapters, "template": cfg.data.template,
            "files": [f.name for f in result.files]})
        raise_on_mismatch(result.checks, result.report)
    if cfg.export.export_hub_model_id:
        result.hub_url = push_to_hub(export_dir, cfg.export.export_hub_model_id, cfg.model.hf_hub_token)
    return result


def _export_hf(merged: Merged, cfg: RunConfig, export_dir: Path) -> ExportResult:
    bits = cfg.export.export_quantization_bit
    if bits:
        from tuneforge.export.quantize import save_quantized

        prepare_for_export(merged)
        files = save_quantized(merged.model, merged.tokenizer, export_dir, bits,
                               max(int(cfg.export.export_size * 1e9), 1), on_gpu(cfg.export))
    else:
        files = save_merged(merged, cfg, export_dir)
    checks = []
    if cfg.export.export_verify:
        merged.model = None  # free it before loading the export back
        logits, dtype = reload_logits(export_dir, merged.probes)
        checks.append(compare_logits(merged.reference, logits, f"int{bits}" if bits else dtype, name="merge"))
    return ExportResult(export_dir, files, checks)


def _export_gguf(merged: Merged, cfg: RunConfig, export_dir: Path, adapter: Path | None) -> ExportResult:
    """The model as a GGUF (written here, or llama.cpp-quantized from our F16) and its Modelfile; with
    `adapter` the model is the base and the adapter goes beside it as a GGUF LoRA adapter (Modelfile ADAPTER),
    FROM an export_base_gguf when one is given."""
    from tuneforge.export.gguf.lora import write_gguf_lora
    from tuneforge.export.modelfile import tokenizer_modelfile

    prepare_for_export(merged)
    model, tokenizer, template = merged.model, merged.tokenizer, merged.template
    checks = []
    if cfg.export.export_verify and adapter is None:  # with the adapter kept apart the model is not the reference
        dtype = str(target_dtype(cfg, model)).removeprefix("torch.")
        checks.append(compare_logits(merged.reference, probe_logits(model, merged.probes), dtype, name="merge"))
    export_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if cfg.export.export_base_gguf:
        base = str(Path(cfg.export.export_base_gguf).expanduser().resolve())
    else:
        path, model_checks = _write_model_gguf(model, tokenizer, template, cfg, export_dir)
        files.append(path)
        checks += model_checks
        base = path.name
    lora = None
    if adapter is not None:
        dtype = "f32" if cfg.export.gguf_type == "f32" else "f16"
        lora = write_gguf_lora(Path(adapter), model.config, export_dir / f"adapter-{dtype}.gguf", dtype=dtype)
        files.append(lora)
    text = tokenizer_modelfile(base, template, tokenizer, adapter=lora.name if lora else None)
    (export_dir / "Modelfile").write_text(text, encoding="utf-8")
    if cfg.export.export_verify:
        checks += _consistency_checks(merged, cfg, export_dir / base,  # an absolute base stays itself
                                      text, adapter, lora)
    return ExportResult(export_dir, [*files, export_dir / "Modelfile"], checks)


def _consistency_checks(merged: Merged, cfg: RunConfig, gguf_path: Path, modelfile_text: str,
                        adapter: Path | None, lora: Path | None) -> list[Check]:
    """Training template vs GGUF chat template vs Modelfile; llama.cpp's greedy tokens vs transformers' (not
    for a base GGUF the user gave: the file is not this export's, so it is no reference)."""
    from tuneforge.export.consistency import SAMPLES, check_greedy, check_template_consistency
    from tuneforge.templates.render import render_prompt

    given_base = bool(cfg.export.export_base_gguf)
    checks = [check_template_consistency(gguf_path, modelfile_text, merged.template, merged.tokenizer,
                                         own_gguf=not given_base)]
    if given_base:
        return checks
    reference = merged.model
    if adapter is not None:
        from peft import PeftModel

        reference = PeftModel.from_pretrained(merged.model, str(adapter)).eval()
    prompt = render_prompt(merged.tokenizer, SAMPLES[0], template=merged.template)
    greedy = check_greedy(gguf_path, reference, prompt, cfg.export.gguf_type, lora_path=lora)
    return checks + ([greedy] if greedy else [])


def _write_model_gguf(model, tokenizer, template, cfg: RunConfig, export_dir: Path) -> tuple[Path, list]:
    """(the model's GGUF file, its checks): written by tuneforge, or for llama.cpp's types written as F16,
    checked, then quantized by llama.cpp (the F16 step removed)."""
    from tuneforge.export.gguf.llama_quant import needs_llama_cpp, quantize
    from tuneforge.export.gguf.vocab import runtime_adds_bos
    from tuneforge.export.gguf.write import gguf_file_name, write_gguf
    from tuneforge.export.verify import check_gguf

    gguf_type = cfg.export.gguf_type
    own_type = "f16" if needs_llama_cpp(gguf_type) else gguf_type
    end_of_turn = template.end_of_turn(tokenizer.eos_token) if template else None
    path = write_gguf(model, tokenizer, export_dir / gguf_file_name(own_type), own_type,
                      name=Path(str(cfg.model.model_name_or_path)).name, end_of_turn=end_of_turn,
                      add_bos=runtime_adds_bos(tokenizer, template))
    checks = []
    if cfg.export.export_verify:
        chat_template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else None
        checks.append(check_gguf(path, model, own_type, chat_template, model.config.vocab_size))
    if own_type == gguf_type:
        return path, checks
    final = export_dir / gguf_file_name(gguf_type)
    try:
        types = quantize(path, final, gguf_type)
    finally:
        path.unlink()  # the F16 file was a step, not what was asked for
    passed, share = types.pop("quantized"), types.pop("fallback_share")
    checks.append(Check("llama.cpp quantize", passed, share, 1.0, {"file": final.name, "gguf_type": gguf_type, **types},
                        measure="share of matrices in a fallback type"))
    return final, checks
