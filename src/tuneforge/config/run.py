"""RunConfig: the groups of one run, frozen after validation, and its flat (LLaMA-Factory-style) form."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tuneforge.config.data import DataConfig
from tuneforge.config.evaluate import EvaluateConfig
from tuneforge.config.export import ExportConfig
from tuneforge.config.finetune import FinetuneConfig
from tuneforge.config.generation import GenerationConfig
from tuneforge.config.model import ModelConfig
from tuneforge.config.preference import KTO_MIN_DEVICE_BATCH, PreferenceConfig
from tuneforge.config.rl import RLConfig
from tuneforge.config.scale import ScaleConfig
from tuneforge.config.train import TrainConfig
from tuneforge.config.trainer import TrainerConfig

GROUPS: dict[str, type] = {"model": ModelConfig, "data": DataConfig, "finetune": FinetuneConfig,
                           "train": TrainConfig, "trainer": TrainerConfig, "preference": PreferenceConfig, "rl": RLConfig, "scale": ScaleConfig,
                           "generation": GenerationConfig, "evaluate": EvaluateConfig, "export": ExportConfig}


@dataclass(frozen=True)
class RunConfig:
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    finetune: FinetuneConfig = dataclasses.field(default_factory=FinetuneConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)
    preference: PreferenceConfig = dataclasses.field(default_factory=PreferenceConfig)
    rl: RLConfig = dataclasses.field(default_factory=RLConfig)
    scale: ScaleConfig = dataclasses.field(default_factory=ScaleConfig)
    generation: GenerationConfig = dataclasses.field(default_factory=GenerationConfig)
    evaluate: EvaluateConfig = dataclasses.field(default_factory=EvaluateConfig)
    export: ExportConfig = dataclasses.field(default_factory=ExportConfig)

    def trains_kto(self) -> bool:
        """Stage kto, or stage dpo with pref_loss kto_pair (its pairs unpaired into KTO examples)."""
        stage = self.finetune.stage
        return stage == "kto" or (stage == "dpo" and self.preference.pref_loss == "kto_pair")

    def loss_from_logits_elsewhere(self) -> bool:
        """Whether the causal-LM loss is computed by someone else from the logits: the Trainer's label smoother,
        or Liger's fused linear cross-entropy (which never builds them)."""
        return bool(self.train.label_smoothing_factor or self.scale.enable_liger_kernel)

    def chunks_output_head(self) -> bool:
        """Whether the fast step applies the output head itself, in chunks (training/head.py; the model's own
        check aside): pt/sft on the fast path, with the head's parameters whole in this process — FSDP and
        DeepSpeed shard or gather them inside the wrapped forward only — and the loss its own."""
        return (self.train.fast_path and self.finetune.stage in ("pt", "sft") and not self.loss_from_logits_elsewhere()
                and not (self.scale.fsdp or self.scale.deepspeed))

    def device_batches(self) -> tuple[int, int] | None:
        """(per-device batch, accumulation steps) the training loop runs for this run's loss; None when the loss
        cannot run the configured ones (see TrainConfig.device_batches)."""
        return self.train.device_batches(KTO_MIN_DEVICE_BATCH if self.trains_kto() else 1)

    def to_flat(self, *, without_secrets: bool = False) -> dict[str, Any]:
        """Every key with its value, flat, as a YAML file accepted by `load_run_config` would hold it;
        `without_secrets`: tokens left unset (what a run folder keeps: it is shared, copied, pushed)."""
        flat: dict[str, Any] = {}
        for group in GROUPS:
            flat.update(dataclasses.asdict(getattr(self, group)))
        if without_secrets:
            flat.update(dict.fromkeys(SECRET_KEYS))
        return flat


SECRET_KEYS = ("hf_hub_token", "hub_token")
FIELD_GROUP: dict[str, str] = {f.name: group for group, cls in GROUPS.items() for f in dataclasses.fields(cls)}
