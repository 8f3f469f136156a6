"""The loss curve of a training run, as a PNG next to the adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_loss_curve(log_history: list[dict[str, Any]], path: Path) -> Path:
    """Plot training (and validation) loss by optimizer step from the Trainer's log."""
    import matplotlib

    matplotlib.use("Agg")  # no display on training machines
    import matplotlib.pyplot as plt

    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    val = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    figure, axes = plt.subplots(figsize=(6, 4))
    for points, label in ((train, "train"), (val, "validation")):
        if points:
            steps, losses = zip(*points, strict=True)
            axes.plot(steps, losses, marker="o" if len(points) < 30 else None, label=label)
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("loss (summary tokens)")
    axes.set_title("newsum training loss")
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
