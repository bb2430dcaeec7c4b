"""Layer 6: the web UI — a thin gradio client. Forms are generated from the config dataclasses; long jobs run
as `tuneforge <command>` subprocesses whose logs the page follows; chat uses the inference engine."""
