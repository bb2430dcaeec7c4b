"""Experiment trackers (`report_to`): transformers builds their callbacks when the Trainer starts and raises a bare
RuntimeError when a tracker's package is missing; checking here first turns that into one line, before any data
is read or model loaded."""
from __future__ import annotations

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError, did_you_mean

# Tracker name (transformers' INTEGRATION_TO_CALLBACK) → (transformers' own availability check, what to pip
# install, as its callback's error says). kubeflow has no package: it is left to transformers.
TRACKER_PACKAGES: dict[str, tuple[str, str]] = {
    "azure_ml": ("is_azureml_available", "azureml-sdk"),
    "clearml": ("is_clearml_available", "clearml"),
    "codecarbon": ("is_codecarbon_available", "codecarbon"),
    "comet_ml": ("is_comet_available", "comet-ml"),
    "dagshub": ("is_dagshub_available", "dagshub"),
    "dvclive": ("is_dvclive_available", "dvclive"),
    "flyte": ("is_flyte_deck_standard_available", "flytekit flytekitplugins-deck-standard"),
    "mlflow": ("is_mlflow_available", "mlflow"),
    "neptune": ("is_neptune_available", "neptune"),
    "swanlab": ("is_swanlab_available", "swanlab"),
    "tensorboard": ("is_tensorboard_available", "tensorboard"),
    "trackio": ("is_trackio_available", "trackio"),
    "wandb": ("is_wandb_available", "wandb"),
}


def check_trackers_installed(cfg: RunConfig) -> None:
    """Every tracker named in report_to is one transformers knows and its package is installed here
    ('none' and 'all' — the installed ones — need nothing)."""
    targets = cfg.train.report_targets()
    if isinstance(targets, str):
        return
    import transformers.integrations as integrations

    known = list(integrations.INTEGRATION_TO_CALLBACK)
    for name in targets:
        if name not in known:
            raise UserError(f"unknown tracker '{name}'{did_you_mean(name, known)}; one of: none, all, "
                            f"{', '.join(known)}", field="report_to")
    missing = [TRACKER_PACKAGES[name][1] for name in targets
               if name in TRACKER_PACKAGES and not getattr(integrations, TRACKER_PACKAGES[name][0])()]
    if missing:
        packages = " and ".join(missing)
        raise UserError(f"needs the {packages} package{'s' if len(missing) > 1 else ''}: pip install "
                        f"{' '.join(missing)}", field="report_to")
