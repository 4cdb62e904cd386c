"""``gradtrio predict``: apply saved weights to data (the embedded digits' test split, or a course file)."""

from __future__ import annotations

import os
from typing import Literal

from .errors import EXIT_OK
from .paths import check_output_path
from .train import DEFAULT_TEST_SIZE, check_test_size

#: How ``gradtrio predict`` writes labels: the course's 1..10 (10 for the digit 0), or class indices.
_WRITTEN_LABELS = {"course": "labels 1..10 as the course stores them, 10 for the digit 0",
                   "stored": "class indices 0..K-1"}


def _data(args) -> tuple:
    """(X, y, name, written): the examples to predict, and the label convention of the written labels."""
    from ..data import load_digits, load_mat

    if args.data is None:
        test_size = DEFAULT_TEST_SIZE if args.test_size is None else args.test_size
        d = load_digits(test_size)
        written: Literal["course", "stored"] = args.labels or "stored"  # the digits are 0..9 unless asked
        return d.X_test, d.y_test, f"{d.name}, test split {test_size:g}", written
    written = args.labels or "course"
    X, y = load_mat(args.data, labels=written)
    return X, y, os.path.basename(args.data), written


def cmd_predict(args) -> int:
    """``gradtrio predict``: the accuracy of saved weights on data, and their predictions on request."""
    from ..data import COURSE_NUM_LABELS, atomic_write, load_weights
    from ..train import accuracy, predict

    if args.labels is not None and args.data is None and args.output is None:
        raise ValueError("--labels applies to a --data file or to the labels written with --output; the "
                         "embedded digits are labelled 0..9 already")
    if args.test_size is not None:
        if args.data is not None:
            raise ValueError("--test-size applies to the embedded digits; with --data every example "
                             "of the file is predicted")
        check_test_size(args.test_size)
    if args.output is not None:
        check_output_path(args.output)
    thetas = load_weights(args.weights)  # .mat files written by gradtrio record their label order
    X, y, name, written = _data(args)
    n_in = thetas[0].shape[1] - 1
    if X.shape[1] != n_in:
        raise ValueError(f"the weights in {args.weights} take {n_in} inputs but {name} has {X.shape[1]} "
                         f"features per example")
    K = thetas[-1].shape[0]
    if y.max() >= K:
        raise ValueError(f"the weights in {args.weights} have {K} output units (labels 0..{K - 1}) but "
                         f"{name} has labels up to {int(y.max())}: they were trained for other labels")
    if args.output is not None and written == "course" and K != COURSE_NUM_LABELS:
        raise ValueError(f"--labels course writes the course's labels 1..10 for the digits; the weights in "
                         f"{args.weights} have {K} output units: pass --labels stored")
    pred = predict(thetas, X)
    print(f"accuracy  {100 * accuracy(thetas, X, y):.2f} %  ({len(y)} examples of {name})")
    if args.output:
        # course: digit d is stored as d, the digit 0 as 10
        out = [COURSE_NUM_LABELS if (written == "course" and int(p) == 0) else int(p) for p in pred]
        text = "".join(f"{p}\n" for p in out).encode()
        path = atomic_write(args.output, lambda f: f.write(text))
        print(f"predictions  {path} ({_WRITTEN_LABELS[written]})")
    return EXIT_OK
