"""gradtrio's benchmark suite: ``python -m benchmarks --help``.

Hand-written NumPy backprop against JAX autodiff, PyTorch autograd and scikit-learn's MLP backprop,
the matrix-product floor, gradient checking (full central differences, complex step, directional
checks) and training against ``MLPClassifier`` — measured in interleaved rounds, with per-round
ratios, on the CPU or a GPU. See ``benchmarks/README.md``.
"""
