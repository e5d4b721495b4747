"""Shared figure plumbing: one seaborn style, and reproducible atomic PDF + PNG output."""

from __future__ import annotations

import io

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from .store import atomic_write  # noqa: E402


def apply_style(params: dict) -> None:
    sns.set_theme(context=params["context"], style="ticks", palette=params["palette"])
    plt.rcParams["figure.constrained_layout.use"] = True


def log_axes(ax, x: bool = True, y: bool = True) -> None:
    """Log scales without labels on the minor ticks (they collide on short ranges)."""
    for on, axis, set_scale in ((x, ax.xaxis, ax.set_xscale), (y, ax.yaxis, ax.set_yscale)):
        if on:
            set_scale("log")
            axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def save_figure(fig, pdf_path, png_path, dpi: int) -> None:
    """Vector PDF and PNG, without dates in their metadata, so reruns are byte-identical."""
    for path, fmt, extra in ((pdf_path, "pdf", {"metadata": {"CreationDate": None, "ModDate": None}}),
                             (png_path, "png", {"dpi": dpi, "metadata": {"Software": None}})):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, bbox_inches="tight", **extra)
        atomic_write(path, buffer.getvalue())
    plt.close(fig)
