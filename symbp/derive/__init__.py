"""The three derivations, each a pure function returning an immutable result."""

from .backprop import BackpropDerivation, DeltaStep, GradientStep, backprop
from .naive import DEFAULT_MAX_PATHS, Factor, NaiveDerivation, Path, naive
from .reference import ReferenceDerivation, reference

__all__ = [
    "BackpropDerivation",
    "DeltaStep",
    "GradientStep",
    "backprop",
    "DEFAULT_MAX_PATHS",
    "Factor",
    "NaiveDerivation",
    "Path",
    "naive",
    "ReferenceDerivation",
    "reference",
]
