"""``gradtrio predict``: apply saved weights to data (an embedded data set's test split, or a course file).

The weights file records the network's units (:func:`gradtrio.data.load_network`): a classifier's accuracy
is printed for class labels, a regression network's R² and RMSE for the embedded diabetes data.
"""

from __future__ import annotations

import os
from typing import Literal

from .errors import EXIT_OK
from .paths import check_output_path
from .train import DEFAULT_TEST_SIZE, check_test_size, embedded_dataset

#: How ``gradtrio predict`` writes labels: the course's 1..10 (10 for the digit 0), or class indices.
_WRITTEN_LABELS = {"course": "labels 1..10 as the course stores them, 10 for the digit 0",
                   "stored": "class indices 0..K-1"}


def _data(args) -> tuple:
    """(X, y, name, written, dataset): the examples to predict, the label convention of the written labels,
    and the embedded :class:`gradtrio.data.Dataset` (None for a --data file)."""
    from ..data import load_mat

    test_size = DEFAULT_TEST_SIZE if args.test_size is None else args.test_size
    d = embedded_dataset(args, test_size)
    if d is not None:
        if d.regression and args.labels is not None:
            raise ValueError(f"--labels applies to class labels; {d.name} holds real targets")
        written: Literal["course", "stored"] = args.labels or "stored"  # the digits are 0..9 unless asked
        return d.X_test, d.y_test, f"{d.name}, test split {test_size:g}", written, d
    written = args.labels or "course"
    X, y = load_mat(args.data, labels=written)
    return X, y, os.path.basename(args.data), written, None


def _regression(args, net, X, y, name: str, d) -> int:
    """Predict real targets: R² and RMSE, and the predicted values (in the data's own units) on request."""
    from ..data import atomic_write
    from ..train import predict, r2_score, rmse

    if d is None or not d.regression:
        raise ValueError(f"the weights in {args.weights} are a regression network (identity output) but {name} "
                         f"holds class labels: predict it with --dataset diabetes")
    e = rmse(net.thetas, X, y, **net.units)
    print(f"R²  {r2_score(net.thetas, X, y, **net.units):.4f}  RMSE  {e * d.y_scale:.4g}  ({len(y)} examples of "
          f"{name})")
    if args.output:
        H = predict(net.thetas, X, **net.units) * d.y_scale + d.y_offset
        text = "".join(" ".join(f"{float(v)!r}" for v in row) + "\n" for row in H).encode()
        path = atomic_write(args.output, lambda f: f.write(text))
        print(f"predictions  {path} (the target in the data's own units)")
    return EXIT_OK


def cmd_predict(args) -> int:
    """``gradtrio predict``: the accuracy of saved weights on data, and their predictions on request."""
    from ..data import COURSE_NUM_LABELS, atomic_write, load_network
    from ..model import output as output_unit
    from ..train import accuracy, predict

    if args.labels is not None and args.data is None and args.output is None:
        raise ValueError("--labels applies to a --data file or to the labels written with --output; the "
                         "embedded digits are labelled 0..9 already")
    if args.test_size is not None:
        if args.data is not None:
            raise ValueError("--test-size applies to the embedded digits and diabetes data; with --data every "
                             "example of the file is predicted")
        check_test_size(args.test_size)
    if args.output is not None:
        check_output_path(args.output)
    net = load_network(args.weights)  # files written by gradtrio record their units and label order
    thetas = net.thetas
    X, y, name, written, d = _data(args)
    n_in = thetas[0].shape[1] - 1
    if X.shape[1] != n_in:
        raise ValueError(f"the weights in {args.weights} take {n_in} inputs but {name} has {X.shape[1]} "
                         f"features per example")
    if not output_unit(net.output).classifier:
        return _regression(args, net, X, y, name, d)
    if d is not None and d.regression:
        raise ValueError(f"the weights in {args.weights} are a classifier ({net.output} output) but {name} "
                         f"holds real targets")
    K = thetas[-1].shape[0]
    if y.max() >= K:
        raise ValueError(f"the weights in {args.weights} have {K} output units (labels 0..{K - 1}) but "
                         f"{name} has labels up to {int(y.max())}: they were trained for other labels")
    if args.output is not None and written == "course" and K != COURSE_NUM_LABELS:
        raise ValueError(f"--labels course writes the course's labels 1..10 for the digits; the weights in "
                         f"{args.weights} have {K} output units: pass --labels stored")
    pred = predict(thetas, X, **net.units)
    print(f"accuracy  {100 * accuracy(thetas, X, y, **net.units):.2f} %  ({len(y)} examples of {name})")
    if args.output:
        # course: digit d is stored as d, the digit 0 as 10
        out = [COURSE_NUM_LABELS if (written == "course" and int(p) == 0) else int(p) for p in pred]
        text = "".join(f"{p}\n" for p in out).encode()
        path = atomic_write(args.output, lambda f: f.write(text))
        print(f"predictions  {path} ({_WRITTEN_LABELS[written]})")
    return EXIT_OK
