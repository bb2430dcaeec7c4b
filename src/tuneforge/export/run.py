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
    return export_dir, adapters


def export_model(cfg: RunConfig) -> ExportResult:
    """Run the whole export; raises UserError for bad input and ExportMismatch when verification fails."""
    export_dir, _ = check_inputs(cfg)
    merged = merge_model(cfg, checked=True)
    if cfg.export.export_format == "gguf":
        result = _export_gguf(merged, cfg, export_dir)
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


def _export_gguf(merged: Merged, cfg: RunConfig, export_dir: Path) -> ExportResult:
    from tuneforge.export.gguf.llama_quant import needs_llama_cpp, quantize
    from tuneforge.export.gguf.write import gguf_file_name, write_gguf
    from tuneforge.export.modelfile import modelfile
    from tuneforge.export.verify import check_gguf

    prepare_for_export(merged)
    model, tokenizer, template = merged.model, merged.tokenizer, merged.template
    gguf_type = cfg.export.gguf_type
    checks = []
    if cfg.export.export_verify:
        dtype = str(target_dtype(cfg, model)).removeprefix("torch.")
        checks.append(compare_logits(merged.reference, probe_logits(model, merged.probes), dtype, name="merge"))
    export_dir.mkdir(parents=True, exist_ok=True)
    eos = tokenizer.eos_token
    end_of_turn = template.end_of_turn(eos) if template else None
    own_type = "f16" if needs_llama_cpp(gguf_type) else gguf_type  # llama.cpp quantizes tuneforge's F16 file
    path = write_gguf(model, tokenizer, export_dir / gguf_file_name(own_type), own_type,
                      name=Path(str(cfg.model.model_name_or_path)).name, end_of_turn=end_of_turn)
    if cfg.export.export_verify:
        chat_template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else None
        checks.append(check_gguf(path, model, own_type, chat_template, model.config.vocab_size))
    if own_type != gguf_type:
        try:
            types = quantize(path, export_dir / gguf_file_name(gguf_type), gguf_type)
        finally:
            path.unlink()  # the F16 file was a step, not what was asked for
        path = export_dir / gguf_file_name(gguf_type)
        checks.append(Check("llama.cpp quantize", True, 0.0, 0.0, {"file": path.name, "gguf_type": gguf_type,
                                                                      **types}, measure="quantized by llama.cpp"))
    adds_bos = _adds_bos(tokenizer)
    text = modelfile(path.name, template, bos="" if adds_bos else (tokenizer.bos_token or ""), eos=eos)
    (export_dir / "Modelfile").write_text(text, encoding="utf-8")
    return ExportResult(export_dir, [path, export_dir / "Modelfile"], checks)


def _adds_bos(tokenizer) -> bool:
    bos = tokenizer.bos_token_id
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    return bos is not None and bool(ids) and ids[0] == bos
