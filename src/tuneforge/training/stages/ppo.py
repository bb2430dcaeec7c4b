"""Stage ppo: RLHF with PPO (Schulman et al. 2017, in the RLHF form of Ziegler et al. 2019) on the engine
every stage shares — a transformers Trainer (ppo_trainer.py) — with the rewards grpo uses (`reward_funcs`,
and/or `reward_model`: a run of stage rm). The policy is the base + LoRA; the reference is the same model with
the adapter disabled; a value head reads the policy's last hidden state. Each rollout batch: sample replies
to its prompts (rendered exactly as chat renders them), score them, per-token rewards with a KL penalty, GAE,
then ppo_epochs optimizer steps of clipped policy/value losses, and the adaptive KL coefficient (ppo_target).
Training steps count optimizer steps, as for every stage (a rollout batch makes ppo_epochs of them).
Outputs as for SFT: adapter + tokenizer, trainer_log.jsonl, plots, and value_head.safetensors."""
from __future__ import annotations

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.model.value_head import make_value_head
from tuneforge.templates.spec import stop_token_ids
from tuneforge.training.callbacks import JsonlLogCallback
from tuneforge.training.checkpointing import with_atomic_checkpoints
from tuneforge.training.setup import training_arguments, use_gpu
from tuneforge.training.stages.common import finish_trainer_run, load_policy, start_output, write_run
from tuneforge.training.stages.online import CompletionSamples, load_online_inputs, rollout_sampling
from tuneforge.training.stages.ppo_trainer import PolicyWithValue, PPOSettings, PPOTrainer

INIT_KL_COEF = 0.2
METRICS = ("reward", "kl", "kl_coef", "value_loss")


def run(cfg: RunConfig) -> RunDir:
    from datasets import Dataset

    on_gpu = use_gpu(cfg)
    online = load_online_inputs(cfg, on_gpu)
    inputs = online.inputs
    out, resume = start_output(cfg)
    samples = CompletionSamples(out, cfg.rl.log_completions_every, resuming=resume is not None)
    model = load_policy(cfg, inputs.tokenizer, inputs.added_tokens, on_gpu)
    model.config.use_cache = True  # rollouts generate
    wrapper = PolicyWithValue(model, make_value_head(model.config.hidden_size))
    pref = cfg.preference
    settings = PPOSettings(
        prompt_ids=online.prompt_ids, rows=online.rows, rewards=[samples.wrap(r) for r in online.rewards],
        stop_ids=stop_token_ids(inputs.tokenizer, inputs.template),
        generate_kwargs={"do_sample": True, "max_new_tokens": cfg.rl.max_completion_length or
                         cfg.generation.max_new_tokens, **rollout_sampling(cfg)},
        ppo_epochs=pref.ppo_epochs, score_norm=pref.ppo_score_norm, whiten_rewards=pref.ppo_whiten_rewards,
        init_kl_coef=INIT_KL_COEF, kl_target=pref.ppo_target)
    args = training_arguments(cfg, on_gpu, has_eval=False)
    args.gradient_checkpointing = False  # the policy generates between steps
    trainer = with_atomic_checkpoints(PPOTrainer)(
        model=wrapper, args=args, train_dataset=Dataset.from_dict({"index": list(range(len(online.rows)))}),
        processing_class=inputs.tokenizer, ppo=settings,
        callbacks=[JsonlLogCallback(out, resuming=resume is not None), samples.callback()])
    write_run(trainer, cfg, out, len(online.rows))
    return finish_trainer_run(trainer, cfg, out, resume, METRICS, eval_rows=False)
