"""``gradtrio check``, and the gradient check with progress and Ctrl-C handling that ``train`` runs too."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .argtypes import layer_sizes
from .errors import EXIT_OF_VERDICT
from .interrupts import JAX_METHODS, defer_interrupts, restore_interrupts
from .progress import Progress


def _method_progress(methods: Sequence[str], desc: str = "gradient check"):
    """(bar, hook): a :class:`Progress` over ``methods`` and the ``progress`` hook of
    :func:`gradtrio.check.compare_gradients`, called with each method's name before it runs."""
    bar = Progress(len(methods), desc=desc, unit="method")
    order = list(dict.fromkeys(methods))

    def hook(name: str) -> None:
        defer_interrupts(name in JAX_METHODS)  # raises a Ctrl-C held back during the previous method
        i = order.index(name) if name in order else bar.n
        bar.update(i, name)

    def steps(name: str, done: int, total: int) -> None:  # within an incremental method: its entries
        defer_interrupts(True)  # raises a Ctrl-C held back meanwhile; JAX runs again after it
        bar.update(order.index(name) if name in order else bar.n, f"{name} {done}/{total} entries")

    hook.steps = steps  # type: ignore[attr-defined]
    return bar, hook


def gradient_check(run: Callable[..., object], methods: Sequence[str], show_progress: bool = False):
    """(report, verdict) of ``run(methods=..., progress=...)`` — :func:`gradtrio.check.check_gradients`
    or :func:`gradtrio.check.compare_gradients` with its problem bound — with progress and Ctrl-C
    handling; verdict "pass", "fail" or "inconclusive"."""
    methods = tuple(methods)
    kw: dict = {}
    bar = None
    if show_progress:
        bar, kw["progress"] = _method_progress(methods)
        kw["step_progress"] = kw["progress"].steps
    else:  # no hook between methods: hold Ctrl-C back for the whole check (any finite difference may
        defer_interrupts(True)  # run on the incremental engine's JAX kernels)
    try:
        report = run(methods=methods, **kw)
        defer_interrupts(False)
        if bar is not None:
            bar.update(bar.total, "done")
    finally:
        restore_interrupts()
        if bar is not None:
            bar.close()
    return report, str(report.verdict)  # type: ignore[attr-defined]  # a GradientReport


def debug_check(sizes, lam: float, m: int, seed: int = 0, dtype="float64", bug_size: float | None = None,
                activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid") -> Callable[..., object]:
    """The course's checkNNGradients problem of an architecture, as a ``run`` for :func:`gradient_check`."""
    from ..check import check_gradients

    extra: dict = {} if bug_size is None else {"bug_size": bug_size}
    extra.update(activation=activation, output=output)

    def run(**kw):
        return check_gradients(tuple(sizes), lam=lam, m=m, seed=seed, dtype=dtype, **extra, **kw)

    return run


def unit_names(names: Sequence[str]) -> str | tuple[str, ...]:
    """``--activation``'s names: one name for every hidden layer, or one per hidden layer."""
    return names[0] if len(names) == 1 else tuple(names)


def check_method_names(names: Sequence[str]) -> tuple[str, ...]:
    from ..check import KNOWN_METHODS

    methods = [p for v in names for p in str(v).replace(",", " ").split()]
    unknown = [m for m in methods if m not in KNOWN_METHODS]
    if unknown:
        raise ValueError(f"--methods: unknown method{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                         f"known: {', '.join(KNOWN_METHODS)}")
    if len(dict.fromkeys(methods)) < 2:
        raise ValueError(f"--methods needs at least two different methods, the first the reference "
                         f"(e.g. --methods backprop central); got {' '.join(methods)}")
    if methods[0] == "directional":
        raise ValueError("--methods: the first method is the reference and must give a full gradient, "
                         "not directional")
    return tuple(methods)


def cmd_check(args) -> int:
    """``gradtrio check``: the three-way check of the course's debug problem on ``--sizes``."""
    from ..check import DEFAULT_METHODS
    from ..model import Architecture
    from ..model.validate import check_sizes

    sizes = check_sizes(tuple(layer_sizes(args.sizes)))
    arch = Architecture(sizes, unit_names(args.activation), args.output)  # wrong counts: one line, exit 2
    methods = DEFAULT_METHODS if args.methods is None else check_method_names(args.methods)
    report, verdict = gradient_check(debug_check(sizes, args.lam, args.m, args.seed, args.dtype, args.bug_size,
                                                 arch.activations, arch.output),
                                     methods, show_progress=True)
    print(report.to_json(indent=2) if args.json else report)
    return EXIT_OF_VERDICT[verdict]
