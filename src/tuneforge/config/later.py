"""LLaMA-Factory keys that belong to capabilities not built yet.

They are recognised (so a YAML using them gets a precise message instead of "unknown key"), ignored when they
hold an empty/default value, and rejected with "not supported yet" otherwise.
"""
from __future__ import annotations

from types import MappingProxyType

_GROUPS = {
    "preference and RL stages (rm, dpo, kto, ppo)": (
        "pref_beta pref_ftx pref_loss pref_bco_weight dpo_label_smoothing simpo_gamma kto_chosen_weight "
        "kto_rejected_weight ref_model ref_model_adapters ref_model_quantization_bit reward_model "
        "reward_model_adapters reward_model_quantization_bit reward_model_type ppo_buffer_size ppo_epochs "
        "ppo_score_norm ppo_target ppo_whiten_rewards ld_alpha"),
    "inference and prediction": (
        "infer_backend max_new_tokens max_length temperature top_p top_k num_beams do_sample "
        "repetition_penalty length_penalty skip_special_tokens predict_with_generate vllm_maxlen "
        "vllm_gpu_util vllm_enforce_eager vllm_max_lora_rank vllm_config"),
    "export": (
        "export_dir export_size export_device export_legacy_format export_hub_model_id "
        "export_quantization_bit export_quantization_dataset export_quantization_nsamples "
        "export_quantization_maxlen"),
    "evaluation benchmarks": "task task_dir lang n_shot save_dir",
    "scale and memory options": (
        "deepspeed fsdp fsdp_config quantization_bit quantization_method quantization_type "
        "double_quantization quantization_device_map use_galore galore_rank galore_target "
        "galore_update_interval galore_scale galore_proj_type galore_layerwise use_badam badam_mode "
        "badam_start_block badam_switch_mode badam_switch_interval badam_update_ratio badam_mask_mode "
        "badam_verbose use_apollo apollo_rank apollo_target apollo_update_interval apollo_scale "
        "apollo_proj apollo_proj_type apollo_scale_type apollo_layerwise apollo_scale_front use_adam_mini "
        "enable_liger_kernel use_unsloth use_unsloth_gc shift_attn rope_scaling use_llama_pro "
        "moe_aux_loss_coef ray_run_name ray_storage_path ray_num_workers resources_per_worker "
        "placement_strategy use_muon"),
    "multimodal models": (
        "image_max_pixels image_min_pixels video_max_pixels video_min_pixels video_fps video_maxlen "
        "freeze_vision_tower freeze_multi_modal_projector freeze_language_model train_mm_proj_only "
        "media_dir image_dir"),
}

LATER_KEYS: MappingProxyType[str, str] = MappingProxyType(
    {key: capability for capability, keys in _GROUPS.items() for key in keys.split()})

# Keys LLaMA-Factory accepts that change nothing here (logging backends, UI toggles); accepted and ignored.
IGNORED_KEYS = frozenset({"print_param_status", "use_swanlab", "swanlab_project", "compute_accuracy",
                          "use_mca", "eval_on_each_dataset", "use_cache"})


def is_empty_value(value: object) -> bool:
    """None/false/0/empty, also as command-line strings ("null", "none", "false")."""
    if isinstance(value, str):
        return value.strip().lower() in {"", "null", "none", "~", "false", "0"}
    return value is None or value is False or value == 0 or value == []
