"""rnn_numpy: backpropagation through time written by hand in NumPy.

Modules (each a set of pure functions with explicit caches; read them in this order):
    activations  tanh, relu, sigmoid, identity: value and derivative, by name
    init         orthogonal, xavier, random, uniform initializers; spectral_radius
    rnn          vanilla / leaky RNN forward and BPTT backward (mask, truncation)
    lstm         LSTM forward and backward (gates i, f, g, o)
    models       core + readout + loss in one call: per-network loss and all gradients
    readout      time-distributed affine output layer
    losses       masked mean squared error, masked softmax cross-entropy
    optim        SGD (momentum, weight decay), Adam, AdaGrad; global-norm clipping
    fused        one training step of a small last-step RNN in preallocated flat buffers
    gradcheck    central finite differences against any backward pass
    fixed_points fixed and slow points of one RNN at a constant input, their stability; PCA
    degeneracy   how different same-task networks are: behaviour spread, DSA and a shape metric
                 on their dynamics, a permutation-invariant weight distance (NumPy assignment)
    sweep        conditions -> population runs, here or on a Dask cluster; resumable
    bench        python -m rnn_numpy.bench: timings and population speed-up
"""

from ._memory import reuse_freed_memory

MALLOC_TUNED = reuse_freed_memory()  # see _memory.py: avoids page faults on every new array

import importlib

__all__ = ["activations", "degeneracy", "fixed_points", "fused", "gradcheck", "init", "losses", "lstm", "models",
           "optim", "readout", "rnn", "sweep"]
__version__ = "0.1.0"


def __getattr__(name):
    """rnn_numpy.<module> imports that module on first use (PEP 562): a script loads only the
    modules it names. Importing all of them up front took 10-15 ms of the headline's 0.2 s
    process (python -X importtime), as long as 100 of its training sweeps."""
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
