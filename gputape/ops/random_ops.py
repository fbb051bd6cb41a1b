"""The rest of ``tf.random``: ``Generator``, ``categorical``, ``gamma``, ``poisson`` and the stateless ops.

Numbers come from the backend's own generator (NumPy's PCG64, or CuPy's on the device), so a seed
gives the same numbers on one backend every time, never TensorFlow's numbers (TF's Philox streams
are not reproduced).  Draws run on the device with no host loop: categorical by the Gumbel-max
trick, truncated normals by the inverse CDF.  Seeds for ``split``/``make_seeds`` come from a host
``numpy.random.SeedSequence`` kept by each Generator, so splitting never reads the device.  The
one host read: a stateless op's ``seed`` (two integers) seeds the backend's generator, so a seed
tensor on the device is copied back (a Python list or a NumPy array costs nothing).

These functions are attributes of ``gputape.random`` (the namespace object in creation.py), set at
the bottom of this file.
"""
import math as _m

import numpy as np

from .. import backend as _b
from .. import checks
from ..dtypes import np_dtype
from ..errors import InvalidArgumentError
from ..op import defop
from ..tensor import _wrap, _Base
from .creation import _Random, random as _global, _random_shape, _float_dtype, _moment, _F32
from .math import divide, cast

_INT_DTYPES = ("int32", "int64")
_UNIFORM_DTYPES = ("float16", "float32", "float64", "int32", "int64")


def _xp():
    return _b.get_xp()


def _rng_from(seed_ints):
    """A backend generator seeded by a tuple of non-negative ints (deterministic)."""
    ss = np.random.SeedSequence(list(seed_ints))
    xp = _xp()
    if xp is np:
        return np.random.default_rng(ss)
    return xp.random.default_rng(int(ss.generate_state(1, np.uint64)[0]))


def _draw_normal(rng, shp, npd):
    return rng.standard_normal(shp, dtype=np.float64 if npd.itemsize > 4 else np.float32)


def _draw_uniform(rng, shp, npd):
    return rng.random(shp, dtype=np.float64 if npd.itemsize > 4 else np.float32)


_LO = 0.5 * _m.erfc(2 / _m.sqrt(2))          # Phi(-2)
_HI = 1.0 - _LO


def _draw_truncated(rng, shp):
    """Standard normals cut at +-2 (TF's truncated_normal), in float64: by the inverse CDF of a uniform
    on (Phi(-2), Phi(2)) -- one pass on the device, no redraw loop."""
    from .special import _special, _erfinv_np
    u = rng.random(shp, dtype=np.float64)
    t = 2.0 * (_LO + u * (_HI - _LO)) - 1.0
    sp = _special(_xp(), t)
    e = sp.erfinv(t) if sp is not None else _erfinv_np(t)
    return _m.sqrt(2.0) * e


def _normal(rng, shape, mean, stddev, dtype, op):
    shp = _random_shape(shape, op)
    npd = _float_dtype(dtype, op)
    mean, stddev = (_moment(v, npd, shp, op, w) for v, w in ((mean, "mean"), (stddev, "stddev")))
    checks.check_size(shp, npd, op)
    return _wrap((_draw_normal(rng, shp, npd) * stddev + mean).astype(npd))


def _truncated(rng, shape, mean, stddev, dtype, op):
    shp = _random_shape(shape, op)
    npd = _float_dtype(dtype, op)
    mean, stddev = (_moment(v, npd, shp, op, w) for v, w in ((mean, "mean"), (stddev, "stddev")))
    checks.check_size(shp, np.float64, op)
    return _wrap((_draw_truncated(rng, shp) * stddev + mean).astype(npd))


def _uniform(rng, shape, minval, maxval, dtype, op, int_default_max):
    """Uniform draws as TF's Generator.uniform / stateless_uniform: integer dtypes need minval and maxval
    both given (or both None: the dtype's full range), floats default maxval to 1."""
    shp = _random_shape(shape, op)
    npd = np_dtype(dtype) or _F32
    if npd.name not in _UNIFORM_DTYPES + (("uint32", "uint64") if int_default_max else ()):
        raise ValueError(f"{op}: Argument `dtype` got invalid value {npd.name}. Accepted dtypes are "
                         f"(tf.float16, tf.float32, tf.float64, tf.int32, tf.int64).")
    xp = _xp()
    if npd.kind in "iu":
        if (minval is None) != (maxval is None):
            raise ValueError(f"For integer dtype {npd.name}, minval and maxval must be both `None` or both "
                             f"non-`None`; got minval={minval} and maxval={maxval}")
        checks.check_size(shp, np.int64, op)
        if minval is None:
            info = np.iinfo(npd)
            return _wrap(rng.integers(info.min, info.max, size=shp, dtype=npd, endpoint=True)
                         if xp is np else rng.integers(info.min, info.max, size=shp).astype(npd))
        lo = checks.as_int(minval, op, "minval")
        hi = checks.as_int(maxval, op, "maxval")
        if not lo < hi:
            raise InvalidArgumentError(f"{op}: Need minval < maxval: {lo} >= {hi}")
        return _wrap(rng.integers(lo, hi, size=shp).astype(npd))
    if maxval is None:
        maxval = 1.0
    lo, hi = (_moment(v, npd, shp, op, w) for v, w in ((minval, "minval"), (maxval, "maxval")))
    checks.check_size(shp, npd, op)
    return _wrap((_draw_uniform(rng, shp, npd) * (hi - lo) + lo).astype(npd))


# ---------------------------------------------------------------- Generator
class Generator:
    """A random-number generator object, as ``tf.random.Generator``: ``from_seed(seed)`` gives the same
    stream every time (on one backend), ``from_non_deterministic_state()`` a fresh one; each draw
    advances the state.  ``split(count)`` gives independent generators and ``make_seeds(count)`` an
    int64 [2, count] tensor of seeds for the stateless ops; both advance this generator.

    ``alg`` (TF's Philox/ThreeFry choice) is accepted and recorded, but the numbers are the backend's
    own generator's, not TF's.
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None or state is not None:
            raise NotImplementedError("Generator(copy_from=..., state=...) is not supported; use "
                                      "Generator.from_seed or Generator.from_non_deterministic_state")
        raise ValueError("Generator: use Generator.from_seed(seed) or Generator.from_non_deterministic_state()")

    @classmethod
    def _make(cls, ss, alg):
        g = object.__new__(cls)
        g._alg = alg
        g._reset(ss)
        return g

    def _reset(self, ss):
        self._ss = ss
        self._host = np.random.default_rng(ss.spawn(1)[0])           # seeds for split/make_seeds
        dev = ss.spawn(1)[0]
        xp = _xp()
        self._rng = (np.random.default_rng(dev) if xp is np
                     else xp.random.default_rng(int(dev.generate_state(1, np.uint64)[0])))

    @classmethod
    def from_seed(cls, seed, alg=None):
        """A generator whose stream is fixed by ``seed`` (an int, or a list of ints)."""
        return cls._make(np.random.SeedSequence(_seed_ints(seed, "Generator.from_seed")), alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        """A generator seeded from the operating system's entropy."""
        return cls._make(np.random.SeedSequence(), alg)

    def reset_from_seed(self, seed):
        """Restart this generator's stream from ``seed``."""
        self._reset(np.random.SeedSequence(_seed_ints(seed, "Generator.reset_from_seed")))

    @property
    def algorithm(self):
        return self._alg

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=np.float32, name=None):
        return _normal(self._rng, shape, mean, stddev, dtype, "Generator.normal")

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=np.float32, name=None):
        """Normals redrawn (here: inverse CDF) to lie within two standard deviations of ``mean``."""
        return _truncated(self._rng, shape, mean, stddev, dtype, "Generator.truncated_normal")

    def uniform(self, shape, minval=0, maxval=None, dtype=np.float32, name=None):
        """Uniform in [minval, maxval); integer dtypes need both bounds (or both None: full range)."""
        return _uniform(self._rng, shape, minval, maxval, dtype, "Generator.uniform", True)

    def uniform_full_int(self, shape, dtype=np.uint64, name=None):
        return _uniform(self._rng, shape, None, None, dtype, "Generator.uniform_full_int", True)

    def binomial(self, shape, counts, probs, dtype=np.int32, name=None):
        """Binomial(counts, probs) draws of ``shape``; counts and probs broadcast to it (TF)."""
        op = "Generator.binomial"
        shp = _random_shape(shape, op)
        npd = np_dtype(dtype)
        if npd.name not in ("float16", "float32", "float64", "int32", "int64"):
            raise TypeError(f"{op}: dtype {npd.name} is not one of float16, float32, float64, int32, int64")
        n, p = (_moment(v, np.dtype(np.float64), shp, op, w) for v, w in ((counts, "counts"), (probs, "probs")))
        xp = _xp()
        n = xp.broadcast_to(xp.asarray(n), shp)
        p = xp.broadcast_to(xp.asarray(p), shp)
        return _wrap(self._rng.binomial(n.astype(np.int64), p).astype(npd))

    def make_seeds(self, count=1):
        """An int64 tensor [2, count]: column i is a seed pair for the stateless ops (TF's layout: keys in
        row 0, zeros in row 1)."""
        count = checks.as_int(count, "Generator.make_seeds", "count")
        keys = self._host.integers(0, 2 ** 63 - 1, size=count, dtype=np.int64)
        return _wrap(_xp().asarray(np.stack([keys, np.zeros_like(keys)])))

    def split(self, count=1):
        """``count`` new independent generators (this one's state advances)."""
        count = checks.as_int(count, "Generator.split", "count")
        seeds = self._host.integers(0, 2 ** 63 - 1, size=count)
        return [Generator._make(np.random.SeedSequence(int(s)), self._alg) for s in seeds]


def _seed_ints(seed, op):
    if isinstance(seed, _Base):
        seed = seed.numpy().tolist()
    if isinstance(seed, (list, tuple, np.ndarray)):
        out = [checks.as_int(s, op, "seed") for s in list(np.asarray(seed).ravel())]
    else:
        out = [checks.as_int(seed, op, "seed")]
    return [s % 2 ** 64 for s in out]


def _stateless_seed(seed, op):
    """A stateless op's seed: shape [2], int32/int64 (TF: InvalidArgumentError "seed must have shape [2]")."""
    s = checks.as_tensor(seed, op, "seed")
    if s._v.dtype.kind not in "iu":
        raise InvalidArgumentError(f"{op}: seed must be an int32 or int64 tensor, got {s._v.dtype.name}")
    if tuple(s._v.shape) != (2,):
        raise InvalidArgumentError(f"{op}: seed must have shape [2], not {list(s._v.shape)}")
    return _rng_from([int(v) % 2 ** 64 for v in _b.to_host(s._v).tolist()] + [0x5eed])


# ---------------------------------------------------------------- stateless ops
def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=np.float32, name=None, alg="auto_select"):
    """Normal draws fixed by ``seed`` (shape [2]): the same seed gives the same numbers (one backend)."""
    return _normal(_stateless_seed(seed, "stateless_normal"), shape, mean, stddev, dtype, "stateless_normal")


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=np.float32, name=None, alg="auto_select"):
    """Truncated normal draws (within 2 stddev) fixed by ``seed``."""
    return _truncated(_stateless_seed(seed, "stateless_truncated_normal"), shape, mean, stddev, dtype,
                      "stateless_truncated_normal")


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=np.float32, name=None, alg="auto_select"):
    """Uniform draws fixed by ``seed``; integer dtypes need minval and maxval both given or both None (TF)."""
    return _uniform(_stateless_seed(seed, "stateless_uniform"), shape, minval, maxval, dtype,
                    "stateless_uniform", True)


def _categorical(rng, logits, num_samples, dtype, op):
    x = checks.as_tensor(logits, op, "logits")
    if x._v.dtype.kind != "f":
        raise InvalidArgumentError(f"{op}: Value for attr 'T' of {x._v.dtype.name} is not in the list of allowed "
                                   f"values: half, float, double (logits)")
    if x._v.ndim != 2:
        raise InvalidArgumentError(f"{op}: logits should be a matrix, got shape {list(x._v.shape)}")
    n = checks.as_int(num_samples, op, "num_samples")
    if n < 0:
        raise InvalidArgumentError(f"{op}: num_samples should be nonnegative, got {n}")
    npd = np_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    if npd.name not in _INT_DTYPES:
        raise InvalidArgumentError(f"{op}: Value for attr 'output_dtype' of {npd.name} is not in the list of "
                                   f"allowed values: int32, int64")
    b, k = x._v.shape
    if k == 0 and b > 0 and n > 0:
        raise InvalidArgumentError(f"{op}: num_classes should be positive, got 0")
    checks.check_size((b, n, k), np.float64, op, "draws")
    xp = _xp()
    lg = x._v.astype(np.float64)
    u = rng.random((b, n, k), dtype=np.float64)
    gumbel = -xp.log(-xp.log(xp.maximum(u, np.finfo(np.float64).tiny)))
    # Gumbel-max: argmax over classes of logits + Gumbel noise is a draw from softmax(logits)
    return _wrap(xp.argmax(lg[:, None, :] + gumbel, axis=-1).astype(npd))


def stateless_categorical(logits, num_samples, seed, dtype=np.int64, name=None):
    """Class indices [batch, num_samples] drawn from softmax(logits) ([batch, classes]), fixed by ``seed``."""
    return _categorical(_stateless_seed(seed, "stateless_categorical"), logits, num_samples, dtype,
                        "stateless_categorical")


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Class indices [batch, num_samples] (int64 unless ``dtype``) drawn from softmax(``logits``)
    ([batch, classes]; -inf logits are never drawn), by the Gumbel-max trick on the device."""
    return _categorical(_global._op_rng(seed), logits, num_samples, dtype, "random.categorical")


# ---- gamma: standard-gamma draws are an op so that the alpha gradient is refused loudly
def _std_gamma_fwd(xp, alpha, shape, seed_rng):
    full = tuple(shape) + tuple(alpha.shape)
    a = xp.broadcast_to(alpha.astype(np.float64), full)
    return seed_rng.standard_gamma(a).astype(alpha.dtype)


_std_gamma = defop("random_gamma", _std_gamma_fwd)


def _gamma_grad_fwd(xp, alpha, sample):
    """d sample / d alpha of a Gamma(alpha, 1) draw held at its CDF value (implicit reparameterization):
    -(dP/da) / (dP/dx) with P the regularized lower incomplete gamma, as TF's RandomGammaGrad.  dP/dx is
    exact; dP/da a central difference in float64 (relative step 1e-5: about 1e-10 relative error, TF
    sums a series), so float32 results are exact to rounding."""
    from .special import gammainc, gammaln
    a = alpha.astype(np.float64)
    x = sample.astype(np.float64)
    h = 1e-5 * a
    dpa = (gammainc(xp, a + h, x) - gammainc(xp, a - h, x)) / (2 * h)
    dpx = xp.exp((a - 1) * xp.log(x) - x - gammaln(xp, a))
    return (-dpa / dpx).astype(sample.dtype)


# no VJP of its own: a second derivative through it raises LookupError, as TF (no gradient registered
# for RandomGammaGrad)
random_gamma_grad = defop("random_gamma_grad", _gamma_grad_fwd, same_dtype=(0, 1))


def gamma_alpha_vjp(g, out, alpha, shape, seed_rng):
    """d alpha = sum over the sample axes of g * RandomGammaGrad(alpha, out) (TF's RandomGamma gradient)"""
    from .math import multiply
    return multiply(g, random_gamma_grad(alpha, out))


_std_gamma.def_vjp(gamma_alpha_vjp)


def gamma(shape, alpha, beta=None, dtype=np.float32, seed=None, name=None):
    """Gamma(alpha, rate=beta) draws of shape ``shape + broadcast(alpha, beta).shape`` (TF): the draw is
    standard_gamma(alpha) / beta, differentiable in ``beta`` and, by TF's implicit reparameterization
    (RandomGammaGrad), in ``alpha``; a second derivative in alpha raises LookupError, as TF."""
    op = "random.gamma"
    shp = _random_shape(shape, op)
    npd = _float_dtype(dtype, op)
    a = checks.as_tensor(alpha, op, "alpha", dtype=npd)
    if beta is not None:
        bt = checks.as_tensor(beta, op, "beta", dtype=npd)
        try:
            pshape = np.broadcast_shapes(tuple(a._v.shape), tuple(bt._v.shape))
        except ValueError:
            raise InvalidArgumentError(f"{op}: alpha {list(a._v.shape)} and beta {list(bt._v.shape)} do not "
                                       f"broadcast") from None
        if tuple(a._v.shape) != pshape:
            from .shape import broadcast_to
            a = broadcast_to(a, pshape)
    checks.check_size(tuple(shp) + tuple(a._v.shape), npd, op)
    r = _std_gamma(a, shape=tuple(shp), seed_rng=_global._op_rng(seed))
    if beta is not None:
        r = divide(r, bt)
    return r


def poisson(shape, lam, dtype=np.float32, seed=None, name=None):
    """Poisson(lam) draws of shape ``shape + lam.shape`` in ``dtype`` (float16/32/64, int32, int64); no
    gradient (TF)."""
    op = "random.poisson"
    shp = _random_shape(shape, op)
    npd = np_dtype(dtype) or _F32
    if npd.name not in ("float16", "float32", "float64", "int32", "int64"):
        raise TypeError(f"{op}: dtype {npd.name} is not one of float16, float32, float64, int32, int64")
    lam_t = checks.as_tensor(lam, op, "lam")
    if lam_t._v.dtype.kind not in "iuf":
        raise TypeError(f"{op}: lam must be numeric, got {lam_t._v.dtype.name}")
    full = tuple(shp) + tuple(lam_t._v.shape)
    checks.check_size(full, np.float64, op)
    xp = _xp()
    lv = xp.broadcast_to(lam_t._v.astype(np.float64), full)
    return _wrap(_global._op_rng(seed).poisson(lv).astype(npd))


_host_truncated_normal = _Random.truncated_normal


def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Normal samples within two standard deviations of ``mean`` (checked as ``normal``): on NumPy
    redrawn until inside (the numbers a seed always gave); on CuPy by the inverse CDF, one pass on the
    device with no host loop."""
    if _xp() is np:
        return _host_truncated_normal(self, shape, mean, stddev, dtype, seed)
    return _truncated(self._op_rng(seed), shape, mean, stddev, dtype, "random.truncated_normal")


for _fn in (categorical, gamma, poisson, stateless_normal, stateless_uniform, stateless_truncated_normal,
            stateless_categorical):
    setattr(_Random, _fn.__name__, staticmethod(_fn))
_Random.Generator = Generator
_Random.truncated_normal = truncated_normal

__all__ = []
