"""Layer 1: what a run is asked to do, as frozen dataclasses. Imports no torch/transformers, so `--help` and
YAML validation are instant."""
from tuneforge.config.load import load_run_config
from tuneforge.config.run import RunConfig

__all__ = ["RunConfig", "load_run_config"]
