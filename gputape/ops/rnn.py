"""Fused recurrent steps: one op per time step for Keras 3's SimpleRNN, LSTM and GRU cells.

A cell step (``lstm_cell``, ``gru_cell``, ``simple_rnn_cell``) is one op, so a tape records one
entry per time step.  Its VJP is one more fused op (``*_cell_grad``), the ``TanhGrad`` pattern:
that op's own VJP is the derivative of the same formula written with gputape ops (``_vjp_by_retrace``),
so derivatives of any order go through it.  Each formula is written once, against a small
namespace ``M`` (``_ArrayMath`` on raw NumPy/CuPy arrays, ``_TensorMath`` on gputape tensors for the
differentiable retrace and for cells whose activations are not fused); the array forwards of the
LSTM step and gradient and of the GRU step are the same formulas rewritten with fewer passes
(tests/test_rnn_layers.py holds them equal).  On CuPy the pointwise part of the LSTM and GRU steps
and of their gradients is one kernel each (``kernels/rnn.cu``), between the step's matmuls; the
NumPy forwards here are their twins.

``unstack_steps`` / ``stack_steps`` split a ``[batch, time, ...]`` tensor into its steps and join
them back, each one op, so a length-T sequence costs T cell entries plus a constant handful.

Shapes: ``xz`` is the input projection of one step (``x_t @ kernel + bias``), ``[B, k*U]``;
``h``, ``c`` are ``[B, U]``; ``rk`` the recurrent kernel ``[U, k*U]`` with Keras 3's gate blocks
(LSTM i, f, c, o; GRU z, r, h).  Cotangents may carry extra leading batch axes (jacobians).
"""
from ..op import defop
from .. import kernels as _kernels
from ..kernels import kernel
from ..errors import InvalidArgumentError
from .math import _k, tanh, sigmoid, cast, greater, zeros_like
from .nn import relu
from .linalg import matmul
from .shape import concat
from .reduce import reduce_sum

FUSED_ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")


# ---------------------------------------------------------------- the two namespaces
class _ArrayMath:
    """The formulas' primitives on raw arrays of module ``xp`` (the fused forwards)."""

    def __init__(self, xp):
        self.xp = xp

    def act(self, a, x):
        xp = self.xp
        if a == "tanh":
            return xp.tanh(x)
        if a == "sigmoid":
            # 0.5 tanh(x/2) + 0.5: one transcendental pass and no division (about 4x faster on NumPy
            # than 1/(1 + exp(-x))); within 1 ulp of it, and exactly 0 / 1 in the far tails
            half = _k(xp, 0.5, x.dtype)
            y = x * half
            xp.tanh(y, out=y)
            y *= half
            y += half
            return y
        if a == "relu":
            return xp.maximum(x, _k(xp, 0, x.dtype))
        return x

    def dact(self, a, y):
        """The activation's derivative as a function of its output ``y``."""
        if a == "tanh":
            return 1 - y * y
        if a == "sigmoid":
            return y * (1 - y)
        if a == "relu":
            return (y > 0).astype(y.dtype)
        return 1

    def cat(self, xs):
        return self.xp.concatenate(xs, axis=-1)

    def mm(self, a, b):
        return self.xp.matmul(a, b)

    def mm_at(self, a, b):
        """a^T b over the last two axes"""
        return self.xp.matmul(self.xp.swapaxes(a, -1, -2), b)

    def mm_bt(self, a, b):
        """a b^T over the last two axes"""
        return self.xp.matmul(a, self.xp.swapaxes(b, -1, -2))

    def sum_rows(self, a):
        return self.xp.sum(a, axis=-2)


class _TensorMath:
    """The same primitives as gputape ops (differentiable); an activation may also be a callable."""

    @staticmethod
    def act(a, x):
        if callable(a):
            return a(x)
        if a == "tanh":
            return tanh(x)
        if a == "sigmoid":
            return sigmoid(x)
        if a == "relu":
            return relu(x)
        return x

    @staticmethod
    def dact(a, y):
        if a == "tanh":
            return 1.0 - y * y
        if a == "sigmoid":
            return y * (1.0 - y)
        if a == "relu":
            return cast(greater(y, 0.0), y.dtype)
        return 1.0

    @staticmethod
    def cat(xs):
        return concat(xs, axis=-1)

    @staticmethod
    def mm(a, b):
        return matmul(a, b)

    @staticmethod
    def mm_at(a, b):
        return matmul(a, b, transpose_a=True)

    @staticmethod
    def mm_bt(a, b):
        return matmul(a, b, transpose_b=True)

    @staticmethod
    def sum_rows(a):
        return reduce_sum(a, axis=-2)


_ARRAY_MATH = {}


def _am(xp):
    m = _ARRAY_MATH.get(xp)
    if m is None:
        m = _ARRAY_MATH[xp] = _ArrayMath(xp)
    return m


TM = _TensorMath()


# ---------------------------------------------------------------- the formulas (Keras 3's cells)
def lstm_math(M, xz, h, c, rk, act, ract, U):
    """z = xz + h rk; i, f, o = ract(z_i, z_f, z_o); g = act(z_c); c' = f c + i g; h' = o act(c')
    (Keras 3 ``LSTMCell``, implementation 2).  Returns (h', c', gates [i, f, g, o])."""
    z = xz + M.mm(h, rk)
    i = M.act(ract, z[..., :U])
    f = M.act(ract, z[..., U:2 * U])
    g = M.act(act, z[..., 2 * U:3 * U])
    o = M.act(ract, z[..., 3 * U:])
    c2 = f * c + i * g
    return o * M.act(act, c2), c2, M.cat([i, f, g, o])


def lstm_grad_math(M, gh, gc, gg, gates, c, c2, h, rk, act, ract, U):
    """tc = act(c'); dc = gc + gh o act'(tc); d(i,f,g,o) = (dc g, dc c, dc i, gh tc) (+ gg, the gates'
    own cotangent, None in first order), each times its activation's derivative = dz; dxz = dz;
    dh = dz rk^T; dc_prev = dc f; drk = h^T dz."""
    i, f, g, o = gates[..., :U], gates[..., U:2 * U], gates[..., 2 * U:3 * U], gates[..., 3 * U:]
    tc = M.act(act, c2)
    dc = gc + gh * o * M.dact(act, tc)
    di, df, dg, do = dc * g, dc * c, dc * i, gh * tc
    if gg is not None:
        di, df, dg, do = di + gg[..., :U], df + gg[..., U:2 * U], dg + gg[..., 2 * U:3 * U], do + gg[..., 3 * U:]
    dz = M.cat([di * M.dact(ract, i), df * M.dact(ract, f), dg * M.dact(act, g), do * M.dact(ract, o)])
    return dz, M.mm_bt(dz, rk), dc * f, M.mm_at(h, dz)


def gru_math(M, xz, h, rk, rb, act, ract, U):
    """hz = h rk + rb; z, r = ract(xz_z + hz_z, xz_r + hz_r); hh = act(xz_h + r hz_h);
    h' = z h + (1 - z) hh (Keras 3 ``GRUCell`` with reset_after=True).  Returns (h', gates [z, r, hh], hz_h)."""
    hz = M.mm(h, rk) + rb
    z = M.act(ract, xz[..., :U] + hz[..., :U])
    r = M.act(ract, xz[..., U:2 * U] + hz[..., U:2 * U])
    hzh = hz[..., 2 * U:]
    hh = M.act(act, xz[..., 2 * U:] + r * hzh)
    return z * h + (1 - z) * hh, M.cat([z, r, hh]), hzh


def gru_grad_math(M, gh, gg, ghz, gates, hzh, h, rk, act, ract, U):
    """dz = gh (h - hh); dhh = gh (1 - z); dpre_h = dhh act'(hh); dr = dpre_h hz_h, each through
    ract' (+ gg, ghz: the cotangents of the gates and of hz_h, None in first order);
    dxz = [dz, dr, dpre_h]; dhz = [dz, dr, dpre_h r]; dh = gh z + dhz rk^T; drk = h^T dhz;
    drb = sum over the batch of dhz."""
    z, r, hh = gates[..., :U], gates[..., U:2 * U], gates[..., 2 * U:]
    dz = gh * (h - hh)
    dhh = gh * (1 - z)
    if gg is not None:
        dz, dhh = dz + gg[..., :U], dhh + gg[..., 2 * U:]
    dph = dhh * M.dact(act, hh)
    dr = dph * hzh
    if gg is not None:
        dr = dr + gg[..., U:2 * U]
    dpz = dz * M.dact(ract, z)
    dpr = dr * M.dact(ract, r)
    dhh_z = dph * r if ghz is None else dph * r + ghz
    dhz = M.cat([dpz, dpr, dhh_z])
    return M.cat([dpz, dpr, dph]), gh * z + M.mm_bt(dhz, rk), M.mm_at(h, dhz), M.sum_rows(dhz)


def simple_rnn_math(M, xz, h, rk, act):
    """h' = act(xz + h rk) (Keras 3 ``SimpleRNNCell``)."""
    return M.act(act, xz + M.mm(h, rk))


def simple_rnn_grad_math(M, g, out, h, rk, act):
    """dpre = g act'(h'); dxz = dpre; dh = dpre rk^T; drk = h^T dpre."""
    d = g * M.dact(act, out)
    return d, M.mm_bt(d, rk), M.mm_at(h, d)


# ---------------------------------------------------------------- checks (before any compute)
def _shape_check(name, pairs):
    for what, got, want in pairs:
        if tuple(got) != tuple(want):
            raise InvalidArgumentError(f"{name}: {what} has shape {tuple(got)}, expected {tuple(want)}")


def _gates_check(name, k):
    def check(xz, h, *rest, **params):
        B, U = h.shape[-2], h.shape[-1]
        pairs = [("xz", xz.shape, (B, k * U))]
        if name == "lstm_cell":
            pairs += [("c", rest[0].shape, (B, U)), ("recurrent_kernel", rest[1].shape, (U, k * U))]
        elif name == "gru_cell":
            pairs += [("recurrent_kernel", rest[0].shape, (U, k * U)), ("recurrent_bias", rest[1].shape, (k * U,))]
        else:
            pairs += [("recurrent_kernel", rest[0].shape, (U, U))]
        _shape_check(name, pairs)
        for a in params.values():
            if a not in FUSED_ACTIVATIONS:
                raise InvalidArgumentError(f"{name}: activation {a!r} is not fused (one of {FUSED_ACTIVATIONS})")
    return check


def _all_same(k):
    return tuple(range(k))


# ---------------------------------------------------------------- the retrace: a fused grad op's VJP
def _vjp_by_retrace(formula, gs, outs, inputs, needs):
    """The VJP of a fused op whose forward is ``formula(TM, *inputs)``: the formula again with
    gputape ops under a fresh tape, differentiated with ``gs`` as output gradients.  Outer tapes
    record all of it, so the next order works too."""
    from ..tape import GradientTape
    gs = list(gs)
    for g, o in zip(gs, outs):
        if g is not None and g._v.ndim != o._v.ndim:
            raise NotImplementedError("gputape: a jacobian through the second derivative of a fused recurrent "
                                      "step (cotangents with extra batch axes) is not implemented")
    xs = list(inputs)
    with GradientTape() as t:
        t.watch(xs)
        ys = formula(TM, *xs)
    keep = [(y, g) for y, g in zip(ys, gs) if g is not None]
    if not keep:
        return [None] * len(xs)
    grads = t.gradient([y for y, _ in keep], xs, output_gradients=[g for _, g in keep])
    return [g if need else None for g, need in zip(grads, needs)]


def _zeros_for(gs, outs):
    """Zeros in place of the None cotangents, with the leading batch axes of the given ones."""
    lead = None
    for g, o in zip(gs, outs):
        if g is not None:
            lead = tuple(g._v.shape[:g._v.ndim - o._v.ndim])
            break
    from .creation import zeros
    return [g if g is not None else (zeros_like(o) if not lead else zeros(lead + tuple(o._v.shape), o._v.dtype))
            for g, o in zip(gs, outs)]


# ---------------------------------------------------------------- CUDA launchers (kernels/rnn.cu)
# Each runs the step's matmuls with the array module (cuBLAS on CuPy) around one pointwise kernel,
# in the twin's order; None (the xp twin runs) for what the kernels do not index: other dtypes,
# mixed dtypes, cotangents with jacobian batch axes, empty arrays.
_ACT_CODE = {"linear": 0, "relu": 1, "tanh": 2, "sigmoid": 3}


def _launchable(xp, arrays, dt):
    return (_kernels._CTYPE.get(dt) is not None
            and all(type(a) is xp.ndarray and a.dtype == dt and a.ndim == 2 for a in arrays))


def _launch_args(ref, xp, rows, U, act, ract, *arrays):
    ref.launch(_kernels._CTYPE[arrays[0].dtype], _kernels._grid(rows * U), (_kernels.BLOCK,),
               arrays + (_kernels._I64(rows), _kernels._I64(U), _kernels._I32(_ACT_CODE[act]),
                         _kernels._I32(_ACT_CODE[ract])))


def _launch_lstm_cell(ref, xp, arrays, params):
    xz, h, c, rk = arrays
    rows, U = h.shape if h.ndim == 2 else (0, 0)
    if not _launchable(xp, arrays, xz.dtype) or rows * U == 0:
        return None
    z = xp.matmul(h, rk)
    z += xz
    gates = xp.empty(z.shape, z.dtype)
    c2, h2 = xp.empty(h.shape, h.dtype), xp.empty(h.shape, h.dtype)
    _launch_args(ref, xp, rows, U, params["act"], params["ract"], z, xp.ascontiguousarray(c), gates, c2, h2)
    return h2, c2, gates


def _launch_lstm_cell_grad(ref, xp, arrays, params):
    gh, gc, gates, c, c2, h, rk = arrays
    rows, U = h.shape if h.ndim == 2 else (0, 0)
    if (not _launchable(xp, arrays, gh.dtype) or rows * U == 0 or gh.shape != h.shape
            or gc.shape != h.shape):
        return None
    gh, gc, gates, c, c2 = (xp.ascontiguousarray(a) for a in (gh, gc, gates, c, c2))
    dz, dcp = xp.empty(gates.shape, gates.dtype), xp.empty(h.shape, h.dtype)
    _launch_args(ref, xp, rows, U, params["act"], params["ract"], gh, gc, gates, c, c2, dz, dcp)
    return dz, xp.matmul(dz, xp.swapaxes(rk, -1, -2)), dcp, xp.matmul(xp.swapaxes(h, -1, -2), dz)


def _launch_gru_cell(ref, xp, arrays, params):
    xz, h, rk, rb = arrays
    rows, U = h.shape if h.ndim == 2 else (0, 0)
    if (not _launchable(xp, (xz, h, rk), xz.dtype) or type(rb) is not xp.ndarray or rb.dtype != xz.dtype
            or rows * U == 0):
        return None
    hz = xp.matmul(h, rk)
    hz += rb
    gates, h2 = xp.empty(hz.shape, hz.dtype), xp.empty(h.shape, h.dtype)
    _launch_args(ref, xp, rows, U, params["act"], params["ract"], xp.ascontiguousarray(xz), hz,
                 xp.ascontiguousarray(h), gates, h2)
    return h2, gates, hz[..., 2 * U:]


def _launch_gru_cell_grad(ref, xp, arrays, params):
    gh, gates, hzh, h, rk = arrays
    rows, U = h.shape if h.ndim == 2 else (0, 0)
    if not _launchable(xp, arrays, gh.dtype) or rows * U == 0 or gh.shape != h.shape:
        return None
    gh, gates, hzh, hc = (xp.ascontiguousarray(a) for a in (gh, gates, hzh, h))
    dxz, dhz, dhd = xp.empty(gates.shape, gates.dtype), xp.empty(gates.shape, gates.dtype), xp.empty(h.shape, h.dtype)
    _launch_args(ref, xp, rows, U, params["act"], params["ract"], gh, gates, hzh, hc, dxz, dhz, dhd)
    return (dxz, dhd + xp.matmul(dhz, xp.swapaxes(rk, -1, -2)), xp.matmul(xp.swapaxes(h, -1, -2), dhz),
            xp.sum(dhz, axis=-2))


# registered here, next to the ops they serve (gputape.kernels holds the table and the launch path)
_kernels._LAUNCHERS.update({("rnn.cu", "lstm_cell"): _launch_lstm_cell,
                            ("rnn.cu", "lstm_cell_grad"): _launch_lstm_cell_grad,
                            ("rnn.cu", "gru_cell"): _launch_gru_cell,
                            ("rnn.cu", "gru_cell_grad"): _launch_gru_cell_grad})


# ---------------------------------------------------------------- LSTM
def _lstm_fwd(xp, xz, h, c, rk, act, ract):
    """``lstm_math`` on arrays, with fewer passes: ract over all of z, then act over the c block."""
    m, U = _am(xp), h.shape[-1]
    z = xp.matmul(h, rk)
    z += xz
    gates = m.act(ract, z)
    gates[..., 2 * U:3 * U] = m.act(act, z[..., 2 * U:3 * U])
    c2 = gates[..., U:2 * U] * c
    c2 += gates[..., :U] * gates[..., 2 * U:3 * U]
    return gates[..., 3 * U:] * m.act(act, c2), c2, gates


lstm_cell = defop("lstm_cell", _lstm_fwd, nout=3, same_dtype=_all_same(4), check=_gates_check("lstm_cell", 4),
                  cuda=kernel("rnn.cu", "lstm_cell"))


@lstm_cell.def_vjp_all
def lstm_cell_vjp(gs, outs, inputs, needs, act, ract):
    """(dxz, dh, dc, drk) = lstm_cell_grad(gh, gc, ...): one fused op; a cotangent of the gates
    output (higher orders only) goes through ``lstm_grad_math`` in gputape ops instead"""
    if all(g is None for g in gs):
        return [None] * 4
    gh, gc, gg = _zeros_for(gs[:2], outs[:2]) + [gs[2]]
    h2, c2, gates = outs
    xz, h, c, rk = inputs
    if gg is None:
        res = lstm_cell_grad(gh, gc, gates, c, c2, h, rk, act=act, ract=ract)
    else:
        res = lstm_grad_math(TM, gh, gc, gg, gates, c, c2, h, rk, act, ract, h._v.shape[-1])
    return [d if n else None for d, n in zip(res, needs)]


def _lstm_grad_fwd(xp, gh, gc, gates, c, c2, h, rk, act, ract):
    """``lstm_grad_math`` (no gates cotangent) on arrays, dz built in place."""
    m, U = _am(xp), h.shape[-1]
    tc = m.act(act, c2)
    dc = gh * gates[..., 3 * U:]
    dc *= m.dact(act, tc)
    dc += gc
    dz = xp.empty(dc.shape[:-1] + (4 * U,), dtype=dc.dtype)
    dz[..., :U] = dc * gates[..., 2 * U:3 * U]
    dz[..., U:2 * U] = dc * c
    dz[..., 2 * U:3 * U] = dc * gates[..., :U]
    dz[..., 3 * U:] = gh * tc
    if ract != "linear":
        d = m.dact(ract, gates)
        dz[..., :2 * U] *= d[..., :2 * U]
        dz[..., 3 * U:] *= d[..., 3 * U:]
    if act != "linear":
        dz[..., 2 * U:3 * U] *= m.dact(act, gates[..., 2 * U:3 * U])
    return dz, m.mm_bt(dz, rk), dc * gates[..., U:2 * U], m.mm_at(h, dz)


lstm_cell_grad = defop("lstm_cell_grad", _lstm_grad_fwd, nout=4, same_dtype=_all_same(7),
                       cuda=kernel("rnn.cu", "lstm_cell_grad"))


@lstm_cell_grad.def_vjp_all
def lstm_cell_grad_vjp(gs, outs, inputs, needs, act, ract):
    """The derivative of ``lstm_grad_math`` written with gputape ops (retraced)"""
    U = inputs[5]._v.shape[-1]
    return _vjp_by_retrace(lambda M, gh, gc, *xs: lstm_grad_math(M, gh, gc, None, *xs, act, ract, U),
                           gs, outs, inputs, needs)


# ---------------------------------------------------------------- GRU (reset_after=True)
def _gru_fwd(xp, xz, h, rk, rb, act, ract):
    """``gru_math`` on arrays, with fewer passes: one ract over the z and r blocks, gates written in place."""
    m, U = _am(xp), h.shape[-1]
    hz = xp.matmul(h, rk)
    hz += rb
    gates = xp.empty(hz.shape, dtype=hz.dtype)
    gates[..., :2 * U] = m.act(ract, xz[..., :2 * U] + hz[..., :2 * U])
    hzh = hz[..., 2 * U:]
    gates[..., 2 * U:] = m.act(act, xz[..., 2 * U:] + gates[..., U:2 * U] * hzh)
    z, hh = gates[..., :U], gates[..., 2 * U:]
    return z * h + (1 - z) * hh, gates, hzh


gru_cell = defop("gru_cell", _gru_fwd, nout=3, same_dtype=_all_same(4), check=_gates_check("gru_cell", 3),
                 cuda=kernel("rnn.cu", "gru_cell"))


@gru_cell.def_vjp_all
def gru_cell_vjp(gs, outs, inputs, needs, act, ract):
    """(dxz, dh, drk, drb) = gru_cell_grad(gh, ...): one fused op; cotangents of the gates or of
    hz_h (higher orders only) go through ``gru_grad_math`` in gputape ops instead"""
    if all(g is None for g in gs):
        return [None] * 4
    h2, gates, hzh = outs
    xz, h, rk, rb = inputs
    gh = _zeros_for(gs[:1], outs[:1])[0]
    if gs[1] is None and gs[2] is None:
        res = gru_cell_grad(gh, gates, hzh, h, rk, act=act, ract=ract)
    else:
        res = gru_grad_math(TM, gh, gs[1], gs[2], gates, hzh, h, rk, act, ract, h._v.shape[-1])
    return [d if n else None for d, n in zip(res, needs)]


def _gru_grad_fwd(xp, gh, gates, hzh, h, rk, act, ract):
    return gru_grad_math(_am(xp), gh, None, None, gates, hzh, h, rk, act, ract, h.shape[-1])


gru_cell_grad = defop("gru_cell_grad", _gru_grad_fwd, nout=4, same_dtype=_all_same(5),
                      cuda=kernel("rnn.cu", "gru_cell_grad"))


@gru_cell_grad.def_vjp_all
def gru_cell_grad_vjp(gs, outs, inputs, needs, act, ract):
    """The derivative of ``gru_grad_math`` written with gputape ops (retraced)"""
    U = inputs[3]._v.shape[-1]
    return _vjp_by_retrace(lambda M, gh, *xs: gru_grad_math(M, gh, None, None, *xs, act, ract, U),
                           gs, outs, inputs, needs)


# ---------------------------------------------------------------- SimpleRNN
def _srnn_fwd(xp, xz, h, rk, act):
    return simple_rnn_math(_am(xp), xz, h, rk, act)


simple_rnn_cell = defop("simple_rnn_cell", _srnn_fwd, same_dtype=_all_same(3),
                        check=_gates_check("simple_rnn_cell", 1))


@simple_rnn_cell.def_vjp_all
def simple_rnn_cell_vjp(g, out, inputs, needs, act):
    """(dxz, dh, drk) = simple_rnn_cell_grad(g, h', h, rk): one fused op"""
    xz, h, rk = inputs
    res = simple_rnn_cell_grad(g, out, h, rk, act=act)
    return [d if n else None for d, n in zip(res, needs)]


def _srnn_grad_fwd(xp, g, out, h, rk, act):
    return simple_rnn_grad_math(_am(xp), g, out, h, rk, act)


simple_rnn_cell_grad = defop("simple_rnn_cell_grad", _srnn_grad_fwd, nout=3, same_dtype=_all_same(4))


@simple_rnn_cell_grad.def_vjp_all
def simple_rnn_cell_grad_vjp(gs, outs, inputs, needs, act):
    """The derivative of ``simple_rnn_grad_math`` written with gputape ops (retraced)"""
    return _vjp_by_retrace(lambda M, *xs: simple_rnn_grad_math(M, *xs, act), gs, outs, inputs, needs)


# ---------------------------------------------------------------- time steps: split and join, one op each
def _unstack_fwd(xp, x, axis):
    return tuple(xp.moveaxis(x, axis, 0))


# several outputs (one per step): nout only needs to differ from 1
unstack_steps = defop("unstack_steps", _unstack_fwd, nout=2, aliases=True)


@unstack_steps.def_vjp_all
def unstack_steps_vjp(gs, outs, inputs, needs, axis):
    """dx = stack(gs) along ``axis`` (zeros for the steps with no cotangent)"""
    if not needs[0] or all(g is None for g in gs):
        return [None]
    gs = _zeros_for(gs, outs)
    nb = gs[0]._v.ndim - outs[0]._v.ndim
    return [stack_steps(*gs, axis=axis + nb)]


def _stack_fwd(xp, *xs, axis):
    return xp.stack(xs, axis=axis)


stack_steps = defop("stack_steps", _stack_fwd, linear=True, same_dtype=None)


@stack_steps.def_vjp_all
def stack_steps_vjp(g, out, inputs, needs, axis):
    """d xs = the slices of g along ``axis``"""
    nb = g._v.ndim - out._v.ndim
    return list(unstack_steps(g, axis=axis + nb))
