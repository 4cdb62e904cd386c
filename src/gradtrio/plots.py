"""Pictures: the hidden units of a trained network, drawn as the course's ``displayData`` does.

Each row of Θ(1) without its bias holds one hidden unit's weights on the input pixels; drawn as an
image, it shows which strokes the unit responds to. :func:`tile_images` lays rows out as the course
does: each patch scaled by its own largest absolute value, patches separated by a dark pad, the grid
as square as possible. :func:`save_hidden_units` writes it to a PNG atomically.

Matplotlib is used through :class:`matplotlib.figure.Figure` directly, never ``pyplot``: no GUI
backend is touched, so this works on a headless machine without ``MPLBACKEND``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .data import atomic_write
from .model.validate import check_thetas

__all__ = ["tile_images", "save_hidden_units", "save_training_curve", "guess_image_shape"]

#: Pixels of padding between patches, as in the course's displayData.
PAD = 1
#: Value of the padding: the darkest value of the patches' [-1, 1] scale.
PAD_VALUE = -1.0


def guess_image_shape(n_pixels: int) -> tuple[int, int] | None:
    """``(side, side)`` when ``n_pixels`` is a perfect square, else None."""
    side = math.isqrt(n_pixels)
    return (side, side) if side * side == n_pixels and side > 0 else None


def tile_images(rows: ArrayLike, image_shape: tuple[int, int], order: str = "C") -> np.ndarray:
    """Tile examples (or weight rows) into one grid image, displayData-style.

    Parameters
    ----------
    rows : array_like of shape (k, h*w)
        One image a row.
    image_shape : (int, int)
        ``(h, w)``.
    order : {"C", "F"}, default "C"
        How a row unfolds into an ``h × w`` image: row-major (scikit-learn's digits) or
        column-major (the course's MATLAB data).

    Returns
    -------
    ndarray of shape (pad + r*(h+pad), pad + c*(w+pad))
        Values in [-1, 1]; ``r × c`` the grid, ``c = ceil(sqrt(k))``. Each patch is divided by its
        own largest absolute value (a patch of zeros stays zero).
    """
    rows = np.asarray(rows, dtype=np.float64)
    h, w = image_shape
    if rows.ndim != 2 or rows.shape[1] != h * w:
        raise ValueError(f"rows must have shape (k, {h}*{w} = {h * w}); got {rows.shape}")
    k = rows.shape[0]
    cols = max(1, math.ceil(math.sqrt(k)))
    nrows = max(1, math.ceil(k / cols))
    grid = np.full((PAD + nrows * (h + PAD), PAD + cols * (w + PAD)), PAD_VALUE)
    for i, row in enumerate(rows):
        r, c = divmod(i, cols)
        scale = np.max(np.abs(row))
        patch = row.reshape(h, w, order=order) / (scale if scale > 0 else 1.0)
        top, left = PAD + r * (h + PAD), PAD + c * (w + PAD)
        grid[top : top + h, left : left + w] = patch
    return grid


def save_hidden_units(
    path: str | os.PathLike,
    thetas: Sequence[ArrayLike],
    image_shape: tuple[int, int] | None = None,
    order: str = "C",
    title: str | None = None,
) -> str:
    """Draw every hidden unit of the first layer (a row of Θ(1) without its bias) and save a PNG.

    Parameters
    ----------
    path : str or path-like
        Written atomically.
    thetas : sequence of array_like
        ``thetas[0]`` of shape ``(s_2, s_1 + 1)``.
    image_shape : (int, int), optional
        How one input unfolds into an image; by default a square when ``s_1`` is a perfect square.
    order : {"C", "F"}, default "C"
        See :func:`tile_images`.
    title : str, optional

    Returns
    -------
    str
        The absolute path written.
    """
    from matplotlib.figure import Figure

    T1 = check_thetas(thetas)[0]
    n = T1.shape[1] - 1
    shape = image_shape or guess_image_shape(n)
    if shape is None:
        raise ValueError(f"cannot draw {n} inputs as a square image; pass image_shape=(h, w) with h*w = {n}")
    grid = tile_images(T1[:, 1:], shape, order)
    fig = Figure(figsize=(4, 4 * grid.shape[0] / grid.shape[1] + (0.4 if title else 0)), dpi=100)
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return atomic_write(path, lambda f: fig.savefig(f, format="png"))


def save_training_curve(path: str | os.PathLike, cost_history: ArrayLike, title: str | None = None) -> str:
    """Draw the cost against the iteration (a training curve) and save a PNG, atomically.

    Parameters
    ----------
    path : str or path-like
    cost_history : array_like of shape (iterations + 1,)
        :attr:`gradtrio.train.TrainResult.cost_history`: the cost at the initial weights, then after
        each iteration. Drawn on a log scale when every cost is positive (cross-entropy always is).
    title : str, optional

    Returns
    -------
    str
        The absolute path written.
    """
    from matplotlib.figure import Figure

    history = np.asarray(cost_history, dtype=np.float64).reshape(-1)
    if history.size == 0:
        raise ValueError("cost_history is empty: nothing to draw")
    fig = Figure(figsize=(5, 3.2), dpi=100)
    ax = fig.add_subplot()
    ax.plot(np.arange(history.size), history, marker="o" if history.size < 30 else None, markersize=3)
    if np.all(history > 0) and np.all(np.isfinite(history)):
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.grid(True, which="both", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return atomic_write(path, lambda f: fig.savefig(f, format="png"))
