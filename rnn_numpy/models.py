"""Small compositions of the layers: recurrent core -> time-distributed readout -> loss.

They return the per-network loss and the gradients of every parameter in one dict, which
is what an optimizer step and clip_global_norm take. Problem scripts with extra layers
(embeddings, several readouts) write their own composition in the same few lines.

Shapes: x (T, *P, B, D); target (T, *P, B, O) (or broadcastable; integer (T, B) classes for
cross-entropy); loss_mask (T, B) or (T, *P, B) selects the steps that are scored;
state_mask pads sequences of different lengths (see rnn.forward).
"""

import numpy as np

from . import losses, lstm, readout, rnn

LOSSES = {"mse": losses.mse, "cross_entropy": losses.softmax_cross_entropy}


def _loss_fn(name):
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[name]


def rnn_loss_and_grads(params, x, target, loss_mask=None, h0=None, activation="tanh", leak=1.0,
                       state_mask=None, truncate=None, loss="mse"):
    """Elman RNN + readout. params: rnn keys (W_xh, W_hh, b_h) and readout keys (W_hy, b_y).
    Returns (loss (*P,), grads {same keys as params}, outputs y (T, *P, B, O), states h)."""
    if h0 is None:
        h0 = np.zeros(x.shape[1:-1] + (params["W_hh"].shape[-1],), dtype=x.dtype)
    h, rnn_cache = rnn.forward(x, h0, params, activation, leak, state_mask)
    y, out_cache = readout.forward(h, params)
    value, dy = _loss_fn(loss)(y, target, loss_mask)
    dh, grads = readout.backward(dy, out_cache)
    _, _, rnn_grads = rnn.backward(dh, rnn_cache, truncate=truncate, input_grads=False)  # x is data
    grads.update(rnn_grads)
    return value, grads, y, h


def lstm_loss_and_grads(params, x, target, loss_mask=None, h0=None, c0=None, state_mask=None,
                        loss="mse"):
    """LSTM + readout. params: lstm keys (W_x, W_h, b) and readout keys (W_hy, b_y).
    Returns (loss (*P,), grads, outputs y (T, *P, B, O), states h)."""
    H = params["W_h"].shape[-1]
    zeros = np.zeros(x.shape[1:-1] + (H,), dtype=x.dtype)
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    h, _, lstm_cache = lstm.forward(x, h0, c0, params, state_mask)
    y, out_cache = readout.forward(h, params)
    value, dy = _loss_fn(loss)(y, target, loss_mask)
    dh, grads = readout.backward(dy, out_cache)
    grads.update(lstm.backward(dh, lstm_cache, input_grads=False)[3])  # x is data
    return value, grads, y, h
