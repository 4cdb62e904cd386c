"""The network model, written once: units, architecture, validated problem, forward pass and cost.

- :mod:`gradtrio.model.activations` — activations and output losses by name (value, derivative, second
  derivative, complex-safe evaluation, kinks);
- :mod:`gradtrio.model.architecture` — sizes and units; the parameter layout, roll/unroll, initialisation;
- :mod:`gradtrio.model.validate` and :mod:`gradtrio.model.problem` — user input checked once, at the
  boundary, into a frozen :class:`Problem`;
- :mod:`gradtrio.model.forward` — the vectorized forward pass, penalty and cost (complex-safe, batched);
- :mod:`gradtrio.model.closures` — the cost as a function of one flat vector, for the numerical oracles.
"""

from .activations import ACTIVATIONS, OUTPUTS, Activation, Output, activation, output
from .architecture import Architecture
from .forward import Pass, cost, forward, penalty
from .problem import Problem, validate, validate_data, validation_count

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "Activation",
    "Output",
    "activation",
    "output",
    "Architecture",
    "Pass",
    "forward",
    "penalty",
    "cost",
    "Problem",
    "validate",
    "validate_data",
    "validation_count",
]
