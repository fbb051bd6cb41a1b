"""Replay twins of a few hot ops' NumPy forwards (issue 12: ``gputape.function`` near the hand-written floor).

A recorded op replays as ``op.fwd(xp, *arrays, **params)``.  For the ops of a dense training step that
Python overhead dominates on small arrays (matmul, the fused bias + activation and its gradient, the
sparse softmax cross-entropy), ``compile_op`` gives a step that makes the very same NumPy calls on the
same operands in the same order -- so the same bits -- minus the generic work: transposes as ``.T``
instead of ``np.swapaxes`` (the same view), ``np.add.reduce`` instead of ``np.sum`` (what ``np.sum``
calls), the reduction axes and constants worked out once from the traced shapes, a label gather as
``s[rows, labels]`` instead of ``take_along_axis`` (the same elements).

Used only on NumPy, only for instructions whose inputs have the traced shapes and dtypes on every
replay (``replay._stable_slots``), and only while the forwards they mirror are unchanged: each twin is
pinned by the sha1 of its source functions (``_TWINS``); another source turns it off (the op's own
forward runs) and tests/test_function_replay_fast.py names the twin to check again.
"""
import hashlib
import inspect
import sys

import numpy as np


def _fn(path):
    mod, name = path.split(":")
    m = sys.modules.get(mod)
    return getattr(m, name, None) if m is not None else None


_ok = {}


def pinned(name):
    """Whether the sources twin ``name`` mirrors are the ones it was written against."""
    ok = _ok.get(name)
    if ok is None:
        ok = _ok[name] = _sha1(name) in _TWINS[name][2]
    return ok


def _sha1(name):
    """The sha1 of the sources twin ``name`` mirrors as they are now (a ``?`` source may be missing)."""
    fns = []
    for p in _TWINS[name][1]:
        f = _fn(p.lstrip("?"))
        if f is None:
            if p.startswith("?"):
                continue
            return None
        fns.append(f)
    try:
        return hashlib.sha1("".join(inspect.getsource(f) for f in fns).encode()).hexdigest()
    except (OSError, TypeError):
        return None


def pins():
    """{twin: (accepted sha1s, sha1 of the sources now)} for every twin here and the optimizer shortcuts of
    ``gputape.replay``: after the mirrored code changed, diff it, fix the twin if needed, then add the sha1.
    ``python -c "import gputape, pprint; from gputape import replay_twins as t; pprint.pprint(t.pins())"``"""
    from . import replay as _r
    out = {name: (spec[2], _sha1(name)) for name, spec in _TWINS.items()}
    out["optimizer apply_gradients flow"] = (_r._OPT_FLOW_SHA1, _r._flow_sha1())
    for twin in (_r._AdamTwin, _r._SGDTwin):
        out[twin.__name__] = (twin.SHA1, _r._twin_sha1(twin))
    return out


def compile_op(op, ins, outs, params, arrays):
    """A replay step ``(r, V) -> None`` equal to ``op.fwd`` on NumPy for inputs shaped like ``arrays``
    (the traced ones), or None."""
    spec = _TWINS.get(op.name)
    if spec is None or op.fwd is not _fn(spec[0]) or not pinned(op.name):
        return None
    if any(type(a) is not np.ndarray for a in arrays):
        return None
    return spec[3](ins, outs, params, arrays)


# ---------------------------------------------------------------- matmul: linalg._mm_fwd
def _matmul(ins, outs, params, arrays):
    a, b = arrays
    if a.ndim != 2 or b.ndim != 2 or set(params) != {"ta", "tb"} or type(outs) is tuple:
        return None
    x, y = ins
    o = outs
    mm = np.matmul
    ta, tb = bool(params["ta"]), bool(params["tb"])
    # xp.swapaxes(a, -1, -2) of a 2-D array is the view a.T
    if not ta and not tb:
        def matmul(r, V):
            r[o] = mm(r[x], r[y])
    elif ta and not tb:
        def matmul(r, V):
            r[o] = mm(r[x].T, r[y])
    elif tb and not ta:
        def matmul(r, V):
            r[o] = mm(r[x], r[y].T)
    else:
        def matmul(r, V):
            r[o] = mm(r[x].T, r[y].T)
    return matmul


# ---------------------------------------------------------------- bias_act: nn._bias_act_fwd, nn._act_fwd
def _bias_act(ins, outs, params, arrays):
    if set(params) != {"activation"} or type(outs) is tuple:
        return None
    act = params["activation"]
    x, b = ins
    o = outs
    add = np.add
    if act == "relu":
        zero = _fn("gputape.ops.math:_k")(np, 0, np.result_type(*arrays))     # _act_fwd's constant
        mx = np.maximum

        def bias_relu(r, V):
            r[o] = mx(add(r[x], r[b]), zero)
        return bias_relu
    if act == "tanh":
        th = np.tanh

        def bias_tanh(r, V):
            r[o] = th(add(r[x], r[b]))
        return bias_tanh
    if act == "linear":
        def bias_linear(r, V):
            r[o] = add(r[x], r[b])
        return bias_linear
    return None


# ---------------------------------------------------------------- act_bias_grad: nn._act_bias_grad_fwd
def _act_bias_grad(ins, outs, params, arrays):
    if set(params) != {"activation"} or type(outs) is not tuple or len(outs) != 2:
        return None
    y_a, g_a = arrays
    nb = g_a.ndim - y_a.ndim
    axes = tuple(range(nb, g_a.ndim - 1))
    act = params["activation"]
    yi, gi = ins
    o_dz, o_db = outs
    red = np.add.reduce            # what np.sum(dz, axis=axes) calls

    if act == "relu":
        def relu_grad(r, V):
            dz = r[gi] * (r[yi] > 0)
            r[o_dz] = dz
            r[o_db] = red(dz, axes, None, None)
        return relu_grad
    if act == "tanh":
        def tanh_grad(r, V):
            y = r[yi]
            dz = r[gi] * (1 - y * y)
            r[o_dz] = dz
            r[o_db] = red(dz, axes, None, None)
        return tanh_grad
    if act == "sigmoid":
        def sigmoid_grad(r, V):
            y = r[yi]
            dz = r[gi] * (y * (1 - y))
            r[o_dz] = dz
            r[o_db] = red(dz, axes, None, None)
        return sigmoid_grad
    if act == "linear":
        def linear_grad(r, V):
            dz = r[gi]
            r[o_dz] = dz
            r[o_db] = red(dz, axes, None, None)
        return linear_grad
    return None


# ---------------------------------------------------------------- sparse xent: nn._sparse_xent_fwd on NumPy
def _sparse_xent(ins, outs, params, arrays):
    labels_a, logits_a = arrays
    if params or logits_a.ndim != 2 or labels_a.ndim != 1 or type(outs) is not tuple or len(outs) != 2:
        return None
    li, gi = ins
    o_loss, o_probs = outs
    rows = np.arange(logits_a.shape[0])
    mx, add, exp, log = np.maximum.reduce, np.add.reduce, np.exp, np.log
    ax = (-1,)

    def sparse_xent(r, V):
        logits = r[gi]
        m = mx(logits, axis=ax, dtype=None, keepdims=True)         # _ureduce(np, "maximum", ...)
        s = logits - m
        e = exp(s)
        z = add(e, axis=ax, dtype=None, keepdims=True)              # _ureduce(np, "add", ...)
        picked = s[rows, r[li]]                   # take_along_axis(s, labels[..., None], -1)[..., 0]
        r[o_loss] = log(z[..., 0]) - picked
        r[o_probs] = e / z
    return sparse_xent


def _sparse_xent_grad(ins, outs, params, arrays):
    p_a, labels_a, g_a = arrays
    if params or type(outs) is tuple:
        return None
    pi, li, gi = ins
    o = outs
    classes = np.arange(p_a.shape[-1])             # xp.arange(p.shape[-1])

    def sparse_xent_grad(r, V):
        hit = classes == r[li][..., None]
        r[o] = (r[pi] - hit) * r[gi][..., None]
    return sparse_xent_grad


# ---------------------------------------------------------------- reduce_mean: reduce._mean_fwd of a float
def _reduce_mean(ins, outs, params, arrays):
    (x,) = arrays
    if set(params) != {"axes", "keepdims"} or type(outs) is tuple:
        return None
    R = sys.modules["gputape.ops.reduce"]
    axes, keepdims = params["axes"], params["keepdims"]
    dt = x.dtype
    w = R._PACKET.get(dt)
    if w is None or (axes and w <= x.shape[axes[-1]] < 8 * w and axes[-1] == x.ndim - 1):
        return None          # not float32/64, or _sum_fwd's Eigen-order branch: the op's own forward runs
    n = dt.type(int(np.prod([x.shape[a] for a in axes])) if axes else 1)
    xi, o = ins[0], outs
    red, asarray = np.add.reduce, np.asarray

    def reduce_mean(r, V):
        # xp.asarray(_sum_fwd(...) / n, dtype) with _sum_fwd = _ureduce(np, "add", x, axes, keepdims, dtype)
        r[o] = asarray(red(r[xi], axis=axes, dtype=dt, keepdims=keepdims) / n, dtype=dt)
    return reduce_mean


# op name -> (the forward the op must use, the sources mirrored (? where optional), their accepted sha1s, maker)
_TWINS = {
    "matmul": ("gputape.ops.linalg:_mm_fwd", ("gputape.ops.linalg:_mm_fwd",),
               ("dc551d19a1a90558712e10817c039e698529382f",
                "99eff86423456ce7fe81df18a37b55311c3ea91c"),    # h-eager: a.swapaxes(-1, -2), the same view
               _matmul),
    "bias_act": ("gputape.ops.nn:_bias_act_fwd",
                 ("gputape.ops.nn:_bias_act_fwd", "gputape.ops.nn:_act_fwd", "gputape.ops.math:_k"),
                 ("65bb48a1d76fc6a3fb095a2f57eb2c2902d5f708",), _bias_act),
    "act_bias_grad": ("gputape.ops.nn:_act_bias_grad_fwd", ("gputape.ops.nn:_act_bias_grad_fwd",),
                      ("4e771c9998aa97fb48b9e2d15d5505720688fbaf",
                       "890b3d91d402ada4e2c289ffbe1f5a7874159989"),     # h-eager: _ureduce(add) is add.reduce too
                      _act_bias_grad),
    "sparse_softmax_cross_entropy_with_logits": (
        "gputape.ops.nn:_sparse_xent_fwd", ("gputape.ops.nn:_sparse_xent_fwd", "gputape.ops.reduce:_ureduce"),
        ("e6951b584532a2a62159aafb2c8b9bcb4131567b",
         "683c5d9ef1fa4328c5da9aa579d53c2cee0a1c1b"),      # h-eager: 2-D labels gathered as s[arange, labels] too
        _sparse_xent),
    "reduce_mean": ("gputape.ops.reduce:_mean_fwd", ("gputape.ops.reduce:_mean_fwd", "gputape.ops.reduce:_sum_fwd",
                                                      "gputape.ops.reduce:_ureduce", "?gputape.ops.reduce:_count"),
                    ("cf1e98c03e958f877e74f98c8bad883dd1c3ec73",
                     "cfe76e5e27a1db5d2ebc8585112027c7a1b93450"),   # h-eager: the count by _count, the same int
                    _reduce_mean),
    "sparse_xent_grad": ("gputape.ops.nn:_sparse_xent_grad_fwd", ("gputape.ops.nn:_sparse_xent_grad_fwd",),
                         ("d9f514912a5ddc11cfce2e57e5c80c6db4fbd9ce",), _sparse_xent_grad),
}
