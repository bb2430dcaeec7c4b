"""The part every long-job tab shares: status line with a progress bar, loss curve (and the reward curve of
an online-RL run), log tail, abort, and a timer that follows the job's files (so a reloaded page picks the
job up again)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.webui import jobs
from tuneforge.webui.context import UIContext
from tuneforge.webui.i18n import text


@dataclass
class JobPanel:
    folder: Any      # gr.State: the job folder (str) followed by this panel
    status: Any
    plot: Any
    log: Any
    reward_plot: Any = None


def status_markdown(folder: str | None, lang: str) -> str:
    if not folder:
        return text("status_idle", lang)
    state = jobs.status(Path(folder))
    rows = [r for r in jobs.progress(Path(folder)) if "current_steps" in r]
    label = text(f"status_{state.state}", lang) if state.state != "running" else text("status_running", lang)
    if not rows:
        return f"**{label}** — `{jobs.shell_command(jobs.read_job(Path(folder))['argv'])}`"
    last = rows[-1]
    pct = last.get("percentage", 0)
    bar = f'<progress value="{pct}" max="100" style="width:60%"></progress>'
    return (f"**{label}** · {text('progress', lang)} {last['current_steps']}/{last['total_steps']} ({pct:.0f}%) "
            f"· {last.get('elapsed_time', '')} / ~{last.get('remaining_time', '')} {bar}")


def metric_frame(folder: str | None, key: str = "loss"):
    """(step, key) of every trainer_log row that has the metric."""
    import pandas as pd

    rows = jobs.progress(Path(folder)) if folder else []
    points = [{"step": r["current_steps"], key: r[key]} for r in rows if r.get(key) is not None]
    return pd.DataFrame(points or [], columns=["step", key])


def loss_frame(folder: str | None):
    return metric_frame(folder, "loss")


def refresh(folder: str | None, lang: str):
    import gradio as gr

    log = jobs.tail(Path(folder)) if folder else ""
    rewards = metric_frame(folder, "reward")
    return (status_markdown(folder, lang), loss_frame(folder), gr.update(value=rewards, visible=not rewards.empty),
            log)


def build(ctx: UIContext, lang_box, *, with_plot: bool = True, prefix: str = "job") -> JobPanel:
    """Status, (loss curve,) log; element ids start with `prefix` so several panels can share a page."""
    import gradio as gr

    folder = gr.State(None)
    status = gr.Markdown(ctx.t("status_idle"), elem_id=f"{prefix}-status")
    plot = reward_plot = None
    if with_plot:
        with gr.Row():
            plot = ctx.ui(gr.LinePlot(loss_frame(None), x="step", y="loss", label=ctx.t("loss"), height=260,
                                      elem_id="loss-plot"), "loss")
            reward_plot = ctx.ui(gr.LinePlot(metric_frame(None, "reward"), x="step", y="reward",
                                             label=ctx.t("reward"), height=260, visible=False,
                                             elem_id="reward-plot"), "reward")
    log = ctx.ui(gr.Textbox(label=ctx.t("log"), lines=8, max_lines=12, interactive=False,
                            elem_id=f"{prefix}-log"), "log")
    timer = gr.Timer(1.0)
    if with_plot:
        timer.tick(refresh, inputs=[folder, lang_box], outputs=[status, plot, reward_plot, log])
    else:
        timer.tick(lambda f, lang: (status_markdown(f, lang), jobs.tail(Path(f)) if f else ""),
                   inputs=[folder, lang_box], outputs=[status, log])
    return JobPanel(folder, status, plot, log, reward_plot)
