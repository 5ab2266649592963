"""A fused training step for small Elman RNNs read out once, after the last step.

Small networks are dispatch-bound: at the 25-sequence look-up's size (T=5, B=25, H=30) a
NumPy call's overhead is as large as its arithmetic (0.5-2 us a call), so the step's time
grows with its number of calls. The modular path (rnn.forward/backward, readout,
losses.mse, optim.clip_global_norm, optim.SGD) makes about 370 Python function calls a
sweep (cProfile), checks shapes,
builds dicts and allocates every array anew. This trainer does the same arithmetic with
the same NumPy operations on the same shapes, so the results are the same to the bit
(tests/test_fused.py runs both side by side), in buffers allocated once:

    * parameters, gradients and momentum each live in one flat (K, n) buffer, so that
      clipping, the momentum update and the weight decay are one call each for all weights
      (named views of the buffer serve the model: params["W_hh"] is (K, H, H));
    * shapes are checked on the first step only;
    * the steps that the modular path computes with a known zero are left out: the first
      step's W_hh h_0 with h_0 = 0, the zero loss gradient at every step but the last, and
      trailing steps that the mask holds for every sequence (see active_steps).

Shapes (as in rnn.py): K networks (one population axis), T steps, B sequences, D inputs,
H hidden, O outputs.
    x (T, K or 1, B, D)   mask None, or (T, K, B) / (T, B) of 0/1   targets (B, O)
    loss_weights (B,) of 0/1: the sequences that count in the loss (others ride along)

The model and the step, per network:
    h_t = h_{t-1} + m_t (tanh(W_xh x_t + W_hh h_{t-1} + b_h) - h_{t-1})   (h_t = tanh(...) unmasked)
    y = tanh(W_hy h_T + b_y)
    loss = c sum_{b,o} w_b (y_bo - target_bo)^2 / (O sum_b w_b)          c = loss_scale
    g <- g min(1, clip / ||g||)                                          (global norm, per network)
    v <- mu v + g;   theta <- theta - lr v;   W <- (1 - lr lambda) W     (weights, not biases)
The weight decay follows the step, as in the 25-sequence look-up's reference.
"""

import math

import numpy as np

from . import rnn
from ._shapes import expand_mask, outer_sum, require

CORE = ("W_xh", "W_hh", "b_h")
READOUT = ("W_hy", "b_y")
NORM_ORDER = READOUT + CORE  # the order models sum squared norms in: readout first, as its grads come first
WEIGHTS = ("W_xh", "W_hh", "W_hy")  # weight decay shrinks these, not the biases


class FlatBuffer:
    """Named arrays that are views of one (K, n) buffer: one call updates them all.
    shapes {name: per-network shape}, in the buffer's order."""

    def __init__(self, shapes, K, dtype=np.float64):
        sizes = {k: int(np.prod(s)) for k, s in shapes.items()}
        self.flat = np.zeros((K, sum(sizes.values())), dtype=dtype)  # (K, n)
        self.slices, self.views, start = {}, {}, 0
        for k, shape in shapes.items():
            self.slices[k] = slice(start, start + sizes[k])
            self.views[k] = self.flat[:, self.slices[k]].reshape((K,) + tuple(shape))  # a view: (K, n_k) -> (K, *shape)
            start += sizes[k]
        assert all(np.shares_memory(v, self.flat) for v in self.views.values())

    def segment(self, names):
        """The (K, m) view of names that lie side by side in the buffer."""
        return self.flat[:, self.slices[names[0]].start:self.slices[names[-1]].stop]


class LastStepSGD:
    """Trains a population of tanh RNNs with a tanh readout after the last step (see the
    module notes). params: a dict with W_xh (K, H, D), W_hh (K, H, H), b_h (K, H),
    W_hy (K, O, H), b_y (K, O); they are copied into the flat buffer, and the trained
    values are in self.params (views, updated in place by every step).

    A population of one computes without the population axis: a matrix product on
    (B, H) @ (H, H) gives the same bits as on (1, B, H) @ (1, H, H) and costs 1.9 us
    instead of 2.5 (timeit, B=25, H=30), and a norm is a 1-D dot product (0.4 us against
    0.8 for vecdot, timeit), with the same bits."""

    def __init__(self, params, targets, loss_weights, lr, momentum=0.0, grad_clip=0.0, weight_decay=0.0,
                 loss_scale=1.0):
        require(all(k in params for k in CORE + READOUT), "parameters need {}; got {}", CORE + READOUT, sorted(params))
        K, H = params["W_hh"].shape[0], params["W_hh"].shape[-1]
        dtype = params["W_hh"].dtype
        shapes = {k: params[k].shape[1:] for k in WEIGHTS + ("b_h", "b_y")}  # weights side by side, then biases
        self.theta, self.grad, self.velocity = (FlatBuffer(shapes, K, dtype) for _ in range(3))
        for k, v in self.theta.views.items():
            v[...] = params[k]
        self.params = self.theta.views  # (K, ...) each
        self.pop = () if K == 1 else (K,)  # the population axes the arithmetic runs with
        self.p = {k: v.reshape(self.pop + v.shape[1:]) for k, v in self.params.items()}  # views, (*pop, ...)
        self.g = {k: v.reshape(self.pop + v.shape[1:]) for k, v in self.grad.views.items()}
        # gradient segments in the order the modular path sums their squared norms
        self.norm_segments = [self.grad.flat[0 if K == 1 else slice(None), self.grad.slices[k]] for k in NORM_ORDER]
        self.squared_norm = np.ndarray.dot if K == 1 else np.vecdot  # ||g||^2 of one segment, per network
        self.decayed = self.theta.segment(WEIGHTS)  # (K, n_weights)
        self.lr, self.momentum, self.grad_clip = lr, momentum, grad_clip
        self.shrink = 1.0 - lr * weight_decay if weight_decay else None  # W <- (1 - lr lambda) W
        self.loss_scale = loss_scale
        # the loss's constants, shaped as losses.mse shapes them, with a population axis of
        # length 1 when there is one: m (1, [1,] B, 1), targets (1, [1,] B, O), N_m (1,) or ()
        lead = (1,) * (1 + len(self.pop))
        self.targets = np.asarray(targets, dtype=dtype).reshape(lead + np.shape(targets))
        self.m = np.asarray(loss_weights, dtype=dtype).reshape(lead + (-1, 1))
        self.norm = self.m.sum(axis=(0, -2, -1)) * self.targets.shape[-1]  # N_m O
        self.dy_scale = (2.0 / self.norm)[..., None, None]  # d mse / d err = 2 err / (N_m O)
        self.K, self.H, self.shape = K, H, None

    def _allocate(self, x, mask):
        """Check the first step's arrays as rnn.forward does, and allocate every buffer."""
        T, B = x.shape[0], x.shape[-2]
        K, H, O, dtype = self.K, self.H, self.targets.shape[-1], self.theta.flat.dtype
        rnn._validate(x, 0.0, self.params, 1.0)
        require(self.m.shape[-2] == B and self.targets.shape[-2] == B,
                "targets and loss weights need one row per sequence ({}); got {} and {}",
                B, self.targets.shape[-2], self.m.shape[-2])
        if mask is not None:
            expand_mask(mask, T, (K,), B, check=True)
        self.shape = (x.shape, None if mask is None else np.shape(mask))
        state = (T,) + self.pop + (B, H)

        def buffer(shape):
            return np.zeros(shape, dtype=dtype)

        self.h_all = buffer((T + 1,) + state[1:])  # h_0 = 0, then h_1..h_T
        self.h, self.h_prev = self.h_all[1:], self.h_all[:-1]  # (T, *pop, B, H) each
        self.act = self.h if mask is None else buffer(state)  # tanh(z_t); h_t itself when unmasked
        self.xw, self.gain, self.dz, self.fprime = buffer(state), buffer(state), buffer(state), buffer(state)
        self.kept = buffer(state)
        self.W_T = {k: buffer(self.pop + self.p[k].shape[len(self.pop):][::-1]) for k in WEIGHTS}  # W^T, contiguous
        self.err = buffer((1,) + self.pop + (B, O))
        self.steps = {name: list(getattr(self, name)) for name in ("h", "h_prev", "act", "xw", "gain", "dz",
                                                                    "fprime", "kept")}  # step views, made once
        self.prefixes = {}  # n -> the buffers' views over steps 1..n (see _prefix)

    def _prefix(self, n):
        """Views of the whole-run buffers over their first n steps, made once per n: a step
        whose trailing steps are masked for every sequence runs on these."""
        if n not in self.prefixes:
            views = {name: getattr(self, name)[:n] for name in ("act", "xw", "gain", "dz", "fprime", "kept")}
            views.update(h_last=self.h[n - 1], dz_rest=self.dz[1:n], h_prev_rest=self.h_prev[1:n])
            self.prefixes[n] = views
        return self.prefixes[n]

    @staticmethod
    def active_steps(mask):
        """1 + the last step at which some sequence of some network is still running (the
        number of steps, if none is).

        Past it every state is held, h_t = h_{t-1} + 0 (tanh(z_t) - h_{t-1}) = h_{t-1}, and
        in the backward pass dz_t = 0 and dL/dh_{t-1} = W_hh^T 0 + 1 dL/dh_t = dL/dh_t: each
        of these steps adds exact zeros to every sum, so leaving them out keeps every bit.
        With variable timing at the reference's size (10 steps), 1077 of 2000 sweeps end with
        one or two such steps; leaving them out took the whole run's sweep from 477 to 437 us
        (0.92x, sequence_lookup_25.train, medians of seven runs in turns)."""
        running = mask.reshape(len(mask), -1).any(axis=1)  # (T,): does any sequence run at step t?
        return len(mask) - int(running[::-1].argmax())

    def step(self, x, mask=None):
        """One full-batch step. Returns (loss (K,) or () for one network, outputs y (K, B, O)
        of this forward pass, gradient norm before clipping (K,), or a float for one
        network); y is new each step."""
        if self.shape is None:
            self._allocate(x, mask)
        else:
            require(x.shape == self.shape[0] and (None if mask is None else np.shape(mask)) == self.shape[1],
                    "every step needs the first step's shapes {}; got {}", self.shape,
                    (x.shape, None if mask is None else np.shape(mask)))
        if not self.pop:
            x = x[:, 0]  # (T, B, D)
        n = len(x)
        if mask is not None:
            mask = np.asarray(mask)
            n = self.active_steps(mask)  # the steps after n change nothing (see active_steps)
            x, mask = (x, mask) if n == len(x) else (x[:n], mask[:n])
        v = self._prefix(n)
        y = self._forward(x, mask, v)  # (*pop, B, O)
        loss, dz_out = self._loss(y)
        self._backward(x, mask is not None, dz_out, v)
        return loss, y.reshape((self.K,) + y.shape[-2:]), self._clip_and_update()

    def _forward(self, x, mask, v):
        """The forward pass over the len(x) steps that v views; returns y (*pop, B, O)."""
        p, W_T, s = self.p, self.W_T, self.steps
        for k in WEIGHTS:
            np.copyto(W_T[k], p[k].mT)  # contiguous, as rnn.forward's (see _shapes.transposed): the same bits
        np.matmul(x, W_T["W_xh"], out=v["xw"])
        v["xw"] += p["b_h"][..., None, :]  # W_xh x_t + b_h, all steps at once   (T, *pop, B, H)
        h, h_prev, act, xw = s["h"], s["h_prev"], s["act"], s["xw"]
        np.tanh(xw[0], out=act[0])  # tanh(z_1) = tanh(W_xh x_1 + b_h): W_hh h_0 = 0
        if mask is None:
            for t in range(1, len(x)):
                np.matmul(h_prev[t], W_T["W_hh"], out=act[t])
                act[t] += xw[t]  # z_t = W_hh h_{t-1} + W_xh x_t + b_h
                np.tanh(act[t], out=act[t])  # h_t = tanh(z_t)
        else:
            m = np.asarray(mask, dtype=self.xw.dtype)  # (T, K, B) or (T, B), 0/1 as numbers
            if m.ndim == 3 and not self.pop:
                m = m[:, 0]  # (T, B): the one network's
            elif m.ndim == 2 and self.pop:
                m = m[:, None]  # (T, 1, B): the same for every network
            np.copyto(v["gain"], m[..., None])  # m_t spelled out along H (see rnn.forward)
            g, delta = s["gain"], np.empty_like(self.xw[0])
            for t in range(len(x)):
                if t:
                    np.matmul(h_prev[t], W_T["W_hh"], out=act[t])
                    act[t] += xw[t]  # z_t
                    np.tanh(act[t], out=act[t])  # tanh(z_t)
                step = np.subtract(act[t], h_prev[t], out=delta)
                step *= g[t]
                np.add(h_prev[t], step, out=h[t])  # h_t = h_{t-1} + m_t (tanh(z_t) - h_{t-1})
        z = v["h_last"] @ W_T["W_hy"]  # h_T: the last step's state
        z += p["b_y"][..., None, :]
        return np.tanh(z, out=z)  # y = tanh(W_hy h_T + b_y)   (*pop, B, O)

    def _loss(self, y):
        """loss and d loss / d z_out (*pop, B, O), as losses.mse and the readout's tanh give them."""
        err = self.err  # (1, *pop, B, O)
        np.subtract(y[None], self.targets, out=err)
        np.multiply(self.m, err, out=err)  # w_b (y - target)
        loss = self.loss_scale * (np.square(err).sum(axis=(0, -2, -1)) / self.norm)  # (K,), or () for one
        dy = self.loss_scale * (self.dy_scale * err)[0]  # (*pop, B, O)
        return loss, dy * (1.0 - y * y)  # through the output tanh

    def _backward(self, x, masked, dz_out, v):
        """BPTT over the len(x) steps that v views, into self.grad, the readout's gradients
        first (see rnn.backward for the equations)."""
        p, G, s = self.p, self.g, self.steps
        dz, fprime, kept = s["dz"], s["fprime"], s["kept"]
        np.matmul(dz_out.mT, v["h_last"], out=G["W_hy"])  # sum_b dz_b h_T,b^T    (*pop, O, H)
        dz_out.sum(axis=-2, out=G["b_y"])  # (*pop, O)
        carry = dz_out @ p["W_hy"]  # dL/dh_T = W_hy^T dz     (*pop, B, H)
        np.multiply(v["act"], v["act"], out=v["fprime"])
        np.subtract(1.0, v["fprime"], out=v["fprime"])  # tanh' = 1 - tanh^2   (T, *pop, B, H)
        if masked:
            np.subtract(1.0, v["gain"], out=v["kept"])  # (1 - m_t): the part of dL/dh_t that skips step t
            np.multiply(v["gain"], v["fprime"], out=v["fprime"])  # m_t tanh'(z_t)
        W_hh = p["W_hh"]
        for t in reversed(range(len(x))):
            np.multiply(carry, fprime[t], out=dz[t])  # dz_t = m_t tanh'(z_t) dL/dh_t
            if t == 0:
                break  # dL/dh_0 is not needed
            total = carry
            carry = dz[t] @ W_hh  # W_hh^T dz_t
            if masked:
                carry += kept[t] * total  # + (1 - m_t) dL/dh_t
        outer_sum(v["dz"], x, G["W_xh"].shape, out=G["W_xh"])  # sum_t dz_t x_t^T     (*pop, H, D)
        # sum_t dz_t h_{t-1}^T  (*pop, H, H): the t = 1 term is 0 (h_0 = 0), left out as rnn.backward does
        outer_sum(v["dz_rest"], v["h_prev_rest"], G["W_hh"].shape, out=G["W_hh"])
        v["dz"].sum(axis=(0, -2), out=G["b_h"])  # sum_t,b dz_t     (*pop, H)

    def _clip_and_update(self):
        total = 0.0
        for g in self.norm_segments:  # one dot product per parameter, summed in the modular path's order
            total = total + self.squared_norm(g, g)
        G = self.grad.flat
        if not self.pop:  # one network: Python floats, the same IEEE operations, about 1 us less a step
            norm = math.sqrt(total)
            if self.grad_clip and norm > self.grad_clip:
                G *= self.grad_clip / norm  # g <- g min(1, clip / ||g||)
        else:
            norm = np.sqrt(total)  # (K,)
            if self.grad_clip and (norm > self.grad_clip).any():
                with np.errstate(divide="ignore", invalid="ignore"):
                    scale = np.where(norm > self.grad_clip, self.grad_clip / norm, 1.0)  # (K,)
                G *= scale[:, None]  # g <- g min(1, clip / ||g||), network by network
        v, theta = self.velocity.flat, self.theta.flat
        if self.momentum:
            v *= self.momentum
            v += G  # v <- mu v + g
        else:
            v[...] = G
        theta -= self.lr * v  # theta <- theta - lr v
        if self.shrink is not None:
            self.decayed *= self.shrink  # W <- (1 - lr lambda) W
        return norm
