"""Helpers every reader shares: naming dynamic dimensions."""

from __future__ import annotations

from catalog.read.graph import Dim


def dynamic_dim_names(shape: tuple[Dim, ...] | None) -> tuple[Dim, ...] | None:
    """Name a graph input's unknown dims: N for the batch, H and W for an image's spatial dims."""
    if shape is None or all(isinstance(d, int | str) for d in shape):
        return shape
    names: list[str] = [f"d{i}" for i in range(len(shape))]
    if shape:
        names[0] = "N"
    if len(shape) == 4:
        channels_last = isinstance(shape[-1], int) and shape[-1] <= 4
        spatial = (1, 2) if channels_last or not isinstance(shape[1], int) else (2, 3)
        names[spatial[0]], names[spatial[1]] = "H", "W"
    return tuple(d if isinstance(d, int | str) else names[i] for i, d in enumerate(shape))
