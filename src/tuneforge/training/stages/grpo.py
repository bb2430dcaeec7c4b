"""Stage grpo: Group Relative Policy Optimization (Shao et al. 2024) on TRL's GRPOTrainer. Each prompt is
answered `num_generations` times; the rewards (`reward_funcs`, `reward_model`) score every answer, and each
answer's advantage is its reward against its group's. TRL's keys are passed as they are: beta, epsilon,
epsilon_high, loss_type, scale_rewards, num_iterations, mask_truncated_completions, use_vllm.

per_device_train_batch_size counts completions, as in TRL: a step sees per_device_train_batch_size ×
gradient_accumulation_steps × processes / num_generations prompts. With beta 0 no reference model exists;
with beta > 0 and LoRA the reference is the policy with its adapter disabled (TRL's way, no second copy);
with full/freeze TRL loads the base once more. Prompts are rendered as chat renders them (online.py), the
completion ends at the template's stop tokens.
"""
from __future__ import annotations

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.templates.spec import stop_token_ids
from tuneforge.training.callbacks import JsonlLogCallback
from tuneforge.training.checkpointing import with_atomic_checkpoints
from tuneforge.training.setup import build_optimizer, use_gpu
from tuneforge.training.stages.common import finish_trainer_run, load_policy, start_output, trl_config, write_run
from tuneforge.training.stages.online import CompletionSamples, load_online_inputs, rollout_sampling, rows_dataset

METRICS = ("reward", "reward_std", "kl", "completions/mean_length", "clip_ratio/region_mean")


def check_vllm(cfg: RunConfig, on_gpu: bool) -> None:
    if not cfg.rl.use_vllm:
        return
    if not on_gpu:
        raise UserError("use_vllm generates on a GPU; this machine has none (set use_vllm: false)", field="use_vllm")
    try:
        import vllm  # noqa: F401
    except ImportError:
        raise UserError("use_vllm needs the vllm package: pip install vllm", field="use_vllm") from None


def grpo_config(cfg: RunConfig, on_gpu: bool, weights: list[float]):
    from trl import GRPOConfig

    rl = cfg.rl
    try:
        return trl_config(GRPOConfig, cfg, on_gpu, False, num_generations=rl.num_generations,
                          max_completion_length=rl.max_completion_length or cfg.generation.max_new_tokens,
                          beta=rl.beta, epsilon=rl.epsilon, epsilon_high=rl.epsilon_high, loss_type=rl.loss_type,
                          scale_rewards=rl.scale_rewards, num_iterations=rl.num_iterations,
                          mask_truncated_completions=rl.mask_truncated_completions, use_vllm=rl.use_vllm,
                          reward_weights=weights, remove_unused_columns=False, disable_dropout=True,
                          log_completions=False, **rollout_sampling(cfg))
    except ValueError as exc:  # GRPOConfig's own checks (batch vs num_generations, a loss type it lacks)
        raise UserError(str(exc).splitlines()[0], field="stage") from None


def build_trainer(cfg: RunConfig):
    """(trainer, output folder, checkpoint to resume from): everything checked, the policy loaded."""
    from trl import GRPOTrainer

    on_gpu = use_gpu(cfg)
    check_vllm(cfg, on_gpu)
    online = load_online_inputs(cfg, on_gpu)
    inputs = online.inputs
    args = grpo_config(cfg, on_gpu, [r.weight for r in online.rewards])
    out, resume = start_output(cfg)
    samples = CompletionSamples(out, cfg.rl.log_completions_every, resuming=resume is not None)
    rewards = [samples.wrap(r) for r in online.rewards]
    model = load_policy(cfg, inputs.tokenizer, inputs.added_tokens, on_gpu)
    model.generation_config.eos_token_id = stop_token_ids(inputs.tokenizer, inputs.template)
    trainer = with_atomic_checkpoints(GRPOTrainer)(
        model=model, reward_funcs=[r.func for r in rewards], args=args,
        train_dataset=rows_dataset(online.rows), processing_class=inputs.tokenizer,
        optimizers=build_optimizer(cfg, model),
        callbacks=[JsonlLogCallback(out, resuming=resume is not None), samples.callback()])
    write_run(trainer, cfg, out, len(online.rows))
    return trainer, out, resume


def run(cfg: RunConfig) -> RunDir:
    trainer, out, resume = build_trainer(cfg)
    return finish_trainer_run(trainer, cfg, out, resume, METRICS, eval_rows=False)
