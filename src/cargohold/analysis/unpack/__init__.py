"""Unpacking: image layers into the view a container sees, nested archives to a bounded
depth, and the walk that shows every file to the catalogers."""

from cargohold.analysis.unpack.layers import ImageView, Layer, LayerFile, Symlink, apply_layers
from cargohold.analysis.unpack.limits import Budget, Limits
from cargohold.analysis.unpack.walk import walk

__all__ = [
    "Budget",
    "ImageView",
    "Layer",
    "LayerFile",
    "Limits",
    "Symlink",
    "apply_layers",
    "walk",
]
