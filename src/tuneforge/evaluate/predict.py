"""Batch prediction, LLaMA-Factory style: generate a reply for every example of the evaluation datasets and
score it against the reference reply with BLEU-4 / ROUGE (evaluate.metrics).

The prompt is each conversation without its last assistant turn; the label is that turn as the template
renders it for training (the tokens the model learns to produce), decoded without special tokens — what
LLaMA-Factory compares against. Writes to output_dir:
  generated_predictions.jsonl  one {"prompt", "predict", "label"} row per example, in dataset order, each batch
                               appended and flushed as it finishes (a killed run leaves its finished rows; a new
                               run starts the file afresh)
  predict_results.json         predict_bleu-4, predict_rouge-1/2/l, predict_runtime, predict_samples_per_second,
                               predict_steps_per_second, and predict_reached_max_new_tokens (the fraction of
                               replies cut at max_new_tokens without a stop token; most of them → a warning)
  all_results.json             the same keys merged into what the folder already reports
"""
from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.config.run import RunConfig
from tuneforge.config.stages import STAGE_NEEDS
from tuneforge.core.errors import UserError
from tuneforge.core.io import write_json_atomic
from tuneforge.core.log import get_logger
from tuneforge.data.example import Conversation, Origin
from tuneforge.data.load import load_data
from tuneforge.encode.supervised import assistant_runs
from tuneforge.evaluate.metrics import mean_similarity
from tuneforge.inference.engine import Engine, Sampling, load_engine
from tuneforge.model.stack import check_adapter_paths
from tuneforge.templates.render import render
from tuneforge.templates.spec import stop_token_ids

log = get_logger()
PREDICTIONS_FILE = "generated_predictions.jsonl"
RESULTS_FILE = "predict_results.json"


@dataclass(frozen=True)
class PredictItem:
    prompt_ids: list[int]
    label: str
    source: Origin
    example: Conversation | None = None  # kept for rows with images/videos, generated one by one


@dataclass(frozen=True)
class PredictResult:
    output_dir: Path
    metrics: dict[str, float]
    rows: int


def predict_datasets(cfg: RunConfig) -> list[Conversation]:
    """The examples to predict: eval_dataset (or, when absent, dataset), max_samples applied, in order."""
    names = cfg.data.eval_dataset or cfg.data.dataset
    if not names:
        raise UserError("is required for prediction (the datasets to generate replies for)", field="eval_dataset")
    data = dataclasses.replace(cfg.data, dataset=names, eval_dataset=None, val_size=0.0)
    examples = load_data(data, stage=STAGE_NEEDS["sft"], seed=cfg.train.seed).train
    return [e for e in examples if isinstance(e, Conversation)]


def prepare_item(example: Conversation, engine: Engine, tokenizer: Any, cutoff_len: int) -> PredictItem:
    messages, tools = list(example.messages), list(example.tools) if example.tools else None
    try:
        prompt = engine.prompt_ids(messages[:-1], tools=tools)
        rendered = render(tokenizer, messages, template=engine.template, tools=tools)
    except UserError as exc:
        raise example.source.locate(exc) from None
    runs = assistant_runs(rendered.assistant_mask)
    start, end = runs[-1] if runs else (len(rendered.input_ids), len(rendered.input_ids))
    reply = rendered.input_ids[start:end]
    # The label is the reply up to its stop token, not the separator some templates train after it.
    stops = set(stop_token_ids(tokenizer, engine.template))
    reply = reply[:max((k + 1 for k, token in enumerate(reply) if token in stops), default=len(reply))]
    label = tokenizer.decode(reply, skip_special_tokens=True)
    return PredictItem(prompt[-cutoff_len:], label, example.source, example if example.media else None)


def _replies(engine: Engine, chunk: list[PredictItem], sampling: Sampling) -> list:
    """One reply per item: text prompts in one batch, rows with media through the processor one by one."""
    text = [i for i in chunk if i.example is None]
    batched = iter(engine.generate([i.prompt_ids for i in text], sampling=sampling))
    out = []
    for item in chunk:
        if item.example is None:
            out.append(next(batched))
            continue
        messages = list(item.example.messages[:-1])
        tools = list(item.example.tools) if item.example.tools else None
        try:
            out.append(engine.complete(messages, tools=tools, sampling=sampling, media=item.example.media)[0])
        except UserError as exc:
            raise item.source.locate(exc) from None
    return out


def _progress(total: int, disable: bool):
    from tqdm.auto import tqdm

    # On stderr (tqdm's default), with the rate and the time left; stdout stays for the scores.
    return tqdm(total=total, desc="predict", unit="example", disable=disable)


class PredictionsFile:
    """generated_predictions.jsonl written as prediction goes: each batch's rows appended and flushed, so a run
    that is stopped or killed leaves every finished row, complete. Opening it starts the file afresh and drops
    the predict_results.json of an earlier run, so old rows or scores never mix with new ones."""

    def __init__(self, out: Path, tokenizer: Any) -> None:
        self.path, self.tokenizer = out / PREDICTIONS_FILE, tokenizer
        out.mkdir(parents=True, exist_ok=True)
        if self.path.is_file():
            log.info("replacing the earlier predictions in %s", self.path)
        (out / RESULTS_FILE).unlink(missing_ok=True)
        self._handle = self.path.open("w", encoding="utf-8")

    def append(self, items: list[PredictItem], replies: list[str]) -> None:
        rows = [json.dumps({"prompt": self.tokenizer.decode(i.prompt_ids, skip_special_tokens=False), "predict": r,
                            "label": i.label}, ensure_ascii=False) for i, r in zip(items, replies)]
        self._handle.write("".join(row + "\n" for row in rows))
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def unstopped_warning(reached: int, total: int, max_new_tokens: int) -> str | None:
    """The warning when most replies ran to max_new_tokens without a stop token, else None."""
    if not total or reached * 2 <= total:
        return None
    return (f"{reached} of {total} predictions ({reached / total:.0%}) reached max_new_tokens={max_new_tokens} "
            f"without a stop token: a model that never ends its reply usually runs with another template than it "
            f"was trained with (check `template`), or was not trained enough; if the replies are just long, "
            f"raise max_new_tokens (lower it to finish sooner)")


def run_predict(cfg: RunConfig, output_dir: str | Path | None = None, engine: Engine | None = None
                ) -> PredictResult:
    out = Path(output_dir or cfg.train.output_dir or "")
    if not str(out) or str(out) == ".":
        raise UserError("is required: where generated_predictions.jsonl and the scores go", field="output_dir")
    check_adapter_paths(cfg.model)
    examples = predict_datasets(cfg)  # data errors surface before the model loads
    if not examples:
        raise UserError("no examples to predict", field="eval_dataset")
    engine = engine or load_engine(cfg)
    tokenizer = engine.tokenizer  # type: ignore[attr-defined]
    items = [prepare_item(e, engine, tokenizer, cfg.data.cutoff_len) for e in examples]
    batch = cfg.train.per_device_eval_batch_size
    predictions: list[str] = []
    reached = 0
    started = time.perf_counter()
    sink = PredictionsFile(out, tokenizer)
    try:
        with _progress(len(items), cfg.train.disable_tqdm) as bar:
            for index in range(0, len(items), batch):
                chunk = items[index:index + batch]
                replies = _replies(engine, chunk, Sampling(seed=cfg.train.seed + index))
                sink.append(chunk, [r.text for r in replies])
                predictions += [r.text for r in replies]
                reached += sum(r.finish_reason == "length" for r in replies)
                bar.update(len(chunk))
    finally:
        sink.close()
    runtime = time.perf_counter() - started
    metrics = {f"predict_{k}": v for k, v in mean_similarity(predictions, [i.label for i in items]).items()}
    steps = math.ceil(len(items) / batch)
    metrics.update(predict_runtime=round(runtime, 4), predict_samples_per_second=round(len(items) / runtime, 3),
                   predict_steps_per_second=round(steps / runtime, 3),
                   predict_reached_max_new_tokens=round(reached / len(items), 4))
    _write_results(out, metrics)
    log.info("wrote %d predictions to %s", len(items), sink.path)
    warning = unstopped_warning(reached, len(items), cfg.generation.max_new_tokens)
    if warning:
        log.warning(warning)
    return PredictResult(out, metrics, len(items))


def _write_results(out: Path, metrics: dict[str, float]) -> None:
    write_json_atomic(out / RESULTS_FILE, metrics)
    merged: dict[str, Any] = {}
    if (out / "all_results.json").is_file():
        try:
            merged = json.loads((out / "all_results.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            merged = {}
    write_json_atomic(out / "all_results.json", {**merged, **metrics})
