"""Issue 10's indexing, scatter, sorting, segment, scan, array and image ops.

- ``test_tf_case``: every line recorded with TensorFlow 2.21 by tests/tf_fixtures/gen_opsidx.py (values,
  dtypes and shapes of forward results and gradients, or TF's exception class) run under gputape.
- Spec rows (first and second order against float64 finite differences, jacobians with batched
  cotangents, hessians), through test_ops_spec.py's harness: ``SPECS`` here, the same checks.
- Kinks: ties, zeros and infinities with TF's values (and the one place gputape is right where TF is not:
  cumprod's gradient at zeros).
"""
import json
import pathlib

import numpy as np
import pytest

import gputape as tf
from gputape import errors
from tf_fixture import raises_as_tf, _decode
import test_ops_spec as H
from test_ops_spec import Spec, real, with_zeros, _join, _ajoin

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

_REC = json.loads((pathlib.Path(__file__).parent / "tf_fixtures" / "opsidx.json").read_text())
CASES = _REC["cases"]
_OURS = {"InvalidArgumentError": errors.InvalidArgumentError, "NotFoundError": errors.NotFoundError}
_NUMPY_TEXT = ("index out of bounds", "list index out of range", "operands could not be broadcast",
               "einstein sum subscripts", "setting an array element")


class _IndexedSlices:
    """What TF's tf.IndexedSlices(values, indices) carries (another helper adds gputape's own)."""
    def __init__(self, values, indices, dense_shape=None):
        self.values, self.indices, self.dense_shape = values, indices, dense_shape


def _run(code):
    ns = {"tf": tf, "np": np}
    exec(_REC["prelude"], ns)
    if not hasattr(tf, "IndexedSlices"):
        ns["tf"] = type("tfproxy", (), {"__getattr__": lambda self, n: getattr(tf, n),
                                         "IndexedSlices": _IndexedSlices})()
    exec(code if "\n" in code else "result = " + code, ns)
    return ns["result"]


def _flat(r):
    if isinstance(r, (list, tuple)):
        out = []
        for e in r:
            out += _flat(e)
        return out
    return [r]


def _same(got, want, name):
    if want.get("none"):
        assert got is None, name
        return
    assert got is not None, name
    if isinstance(got, tf.Variable):
        got = tf.convert_to_tensor(got)
    assert got.dtype.name == want["dtype"], (name, got.dtype.name, want["dtype"])
    assert list(got.shape) == want["shape"], (name, list(got.shape), want["shape"])
    w = np.asarray(_decode(want["value"]))
    g = got.numpy()
    if w.dtype.kind in "fc" or g.dtype.kind == "f":
        big = np.abs(np.asarray(w, np.float64)) > 1e30       # float32 lowest/highest: compare relative
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64).reshape(want["shape"]),
                                   rtol=2e-5 if not big.any() else 1e-6, atol=1e-5, equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(g, w.reshape(want["shape"]), err_msg=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tf_case(name):
    case = CASES[name]
    want = case.get("gputape", case)
    if "error" in want:
        raises_as_tf(lambda: _run(case["code"]), want["error"], _OURS, _NUMPY_TEXT)
        return
    got = _flat(_run(case["code"]))
    assert len(got) == len(want["results"]), name
    for g, w in zip(got, want["results"]):
        _same(g, w, name)


def test_deviations_are_documented():
    for name, case in CASES.items():
        if "gputape" in case:
            assert case["gputape"]["why"], name
    assert _REC["tensorflow"].startswith("2.21")


# ================================================================ spec rows (test_ops_spec.py's harness)
SPECS = []


def row(*a, **k):
    SPECS.append(Spec(*a, **k))


def distinct(rng, s):
    """Values at least 0.1 apart (no ties: sorts, maxima and top_k are smooth there)."""
    n = int(np.prod(s)) if s else 1
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.05, n) - n * 0.05).reshape(s)


_I = lambda *a: tf.constant(np.array(a, dtype=np.int32))     # noqa: E731

# ---- einsum
for _eq, _shapes in [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 2)]), ("ii->i", [(3, 3)]),
                     ("ii", [(3, 3)]), ("iij->ji", [(2, 2, 3)]), ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]),
                     ("ij,ij,ij->i", [(2, 3)] * 3), ("bij,bkj->bik", [(2, 2, 3), (2, 4, 3)]),
                     ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]), ("...i,i->...", [(2, 3), (3,)]),
                     ("i,j->ij", [(2,), (3,)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
                     ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 3, 2)])]:
    row(f"einsum[{_eq}]", lambda *x, e=_eq: tf.einsum(e, *x), lambda *a, e=_eq: np.einsum(e, *a), _shapes)

# ---- gather / gather_nd / scatter
_BI = np.array([[0, 2], [1, 1]])
row("gather_batch_dims", lambda x: tf.gather(x, _I(*_BI.tolist()), axis=1, batch_dims=1),
    lambda a: np.stack([a[b][_BI[b]] for b in range(2)]), [(2, 3, 4)])
_BI2 = np.array([[0, 3, 1], [2, 2, 0]])
row("gather_batch_dims_axis2", lambda x: tf.gather(x, _I(*_BI2.tolist()), axis=2, batch_dims=1),
    lambda a: np.stack([a[b][:, _BI2[b]] for b in range(2)]), [(2, 3, 4)])
_ND = np.array([[1, 2], [0, 0], [1, 2]])
row("gather_nd", lambda x: tf.gather_nd(x, _I(*_ND.tolist())), lambda a: a[tuple(_ND.T)], [(2, 3)])
row("gather_nd_slices", lambda x: tf.gather_nd(x, _I([1], [0], [1])), lambda a: a[[1, 0, 1]], [(2, 3, 2)])
row("gather_nd_batch", lambda x: tf.gather_nd(x, _I([[1, 3], [2, 0]], [[0, 0], [2, 2]]), batch_dims=1),
    lambda a: np.stack([a[0][[1, 2], [3, 0]], a[1][[0, 2], [0, 2]]]), [(2, 3, 4)])


def _np_scatter(idx, u, shape):
    z = np.zeros(shape)
    np.add.at(z, tuple(np.asarray(idx).T), u)
    return z


row("scatter_nd", lambda u: tf.scatter_nd(_I([1], [3], [1]), u, [5]), lambda u: _np_scatter([[1], [3], [1]], u, (5,)),
    [(3,)])
row("scatter_nd_rows", lambda u: tf.scatter_nd(_I([1], [0]), u, [3, 2]), lambda u: _np_scatter([[1], [0]], u, (3, 2)),
    [(2, 2)])


def _np_tsn(t, idx, u, mode):
    t = t.copy()
    for i, v in zip(idx, u):
        k = tuple(i)
        t[k] = {"update": v, "add": t[k] + v, "sub": t[k] - v, "max": np.maximum(t[k], v),
                "min": np.minimum(t[k], v)}[mode]
    return t


for _mode in ("update", "add", "sub", "max", "min"):
    _f = getattr(tf, f"tensor_scatter_nd_{_mode}")
    _idx = [[1], [3]] if _mode == "update" else [[1], [3], [1]]
    row(f"tensor_scatter_nd_{_mode}", lambda t, u, f=_f, i=_idx: f(t, _I(*i), u),
        lambda t, u, m=_mode, i=_idx: _np_tsn(t, i, u, m), [(5,), (len(_idx),)], distinct)
    row(f"tensor_scatter_nd_{_mode}_2d", lambda t, u, f=_f: f(t, _I([1, 0], [0, 2]), u),
        lambda t, u, m=_mode: _np_tsn(t, [[1, 0], [0, 2]], u, m), [(2, 3), (2,)], distinct)
_BM = np.array([[True, False, True], [False, True, True]])
row("boolean_mask", lambda x: tf.boolean_mask(x, tf.constant(_BM)), lambda a: a[_BM], [(2, 3, 2)])
row("boolean_mask_axis", lambda x: tf.boolean_mask(x, tf.constant([True, False, True, True]), axis=1),
    lambda a: a[:, [0, 2, 3]], [(2, 4)])

# ---- sorting
row("sort", tf.sort, np.sort, [(2, 5)], distinct)
row("sort_desc_axis0", lambda x: tf.sort(x, axis=0, direction="DESCENDING"), lambda a: -np.sort(-a, axis=0),
    [(4, 3)], distinct)
row("top_k_values", lambda x: tf.math.top_k(x, 3).values, lambda a: -np.sort(-a, axis=-1)[..., :3], [(2, 5)],
    distinct)

# ---- segments
_SEG = [0, 0, 2, 3, 3]
_USEG = np.array([[1, -1, 0], [1, 3, 1]])


def _np_seg(d, ids, num, red, empty):
    out = []
    ids = np.asarray(ids).reshape(-1)
    d = d.reshape((ids.size,) + d.shape[np.asarray(ids).ndim if False else 1:]) if d.ndim > 1 else d
    for s in range(num):
        sel = d[ids == s]
        out.append(red(sel, axis=0) if sel.shape[0] else np.full(d.shape[1:], empty))
    return np.stack(out)


for _red, _np_red, _empty, _s in [("sum", np.sum, 0.0, real), ("mean", np.mean, 0.0, real),
                                  ("max", np.max, 0.0, distinct), ("min", np.min, 0.0, distinct),
                                  ("prod", np.prod, 1.0, real)]:
    _f = getattr(tf.math, f"segment_{_red}")
    row(f"segment_{_red}", lambda d, f=_f: f(d, _I(*_SEG)), lambda d, r=_np_red, e=_empty: _np_seg(d, _SEG, 4, r, e),
        [(5, 2)], _s)
    _uf = getattr(tf.math, f"unsorted_segment_{_red}")
    _ue = {"max": -np.finfo(np.float64).max, "min": np.finfo(np.float64).max}.get(_red, _empty)
    row(f"unsorted_segment_{_red}", lambda d, f=_uf: f(d, _I(*_USEG.tolist()), 5),
        lambda d, r=_np_red, e=_ue: _np_seg(d.reshape(6, 2), _USEG, 5, r, e), [(2, 3, 2)], _s,
        f32=_red not in ("max", "min"))
row("segment_prod_zeros", lambda d: tf.math.segment_prod(d, _I(0, 0, 0, 1, 1)),
    lambda d: np.array([np.prod(d[:3]), np.prod(d[3:])]), [(5,)], lambda r, s: np.array([1.5, 0.0, -2.0, 0.7, 1.2]),
    order=1)

# ---- scans (cumprod at zeros: polynomials, so finite differences are exact there too)
row("cumprod", tf.math.cumprod, lambda a: np.cumprod(a, 0), [(5,)])
row("cumprod_zeros", tf.math.cumprod, lambda a: np.cumprod(a, 0), [(7,)], with_zeros)
row("cumprod_two_zeros_axis1", lambda x: tf.math.cumprod(x, axis=1), lambda a: np.cumprod(a, 1), [(2, 5)],
    lambda r, s: np.array([[2.0, 0.0, 3.0, 0.0, 1.5], [0.0, 0.0, 1.2, -1.0, 2.0]]))
row("cumprod_excl_rev", lambda x: tf.math.cumprod(x, exclusive=True, reverse=True),
    lambda a: np.flip(np.cumprod(np.flip(np.concatenate([a[1:], [1.0]])), 0)), [(4,)], with_zeros)
row("cumprod_excl", lambda x: tf.math.cumprod(x, axis=0, exclusive=True),
    lambda a: np.concatenate([np.ones((1,) + a.shape[1:]), np.cumprod(a, 0)[:-1]]), [(4, 2)])


def _np_clse(a, axis=0):
    return np.logaddexp.accumulate(a, axis=axis)


row("cumulative_logsumexp", tf.math.cumulative_logsumexp, _np_clse, [(5,)])
row("cumulative_logsumexp_axis1_rev", lambda x: tf.math.cumulative_logsumexp(x, axis=1, reverse=True),
    lambda a: np.flip(_np_clse(np.flip(a, 1), 1), 1), [(2, 4)])
row("cumulative_logsumexp_excl", lambda x: tf.math.cumulative_logsumexp(x, exclusive=True)[1:],
    lambda a: _np_clse(a)[:-1], [(4,)])
row("cumulative_logsumexp_large", tf.math.cumulative_logsumexp, _np_clse, [(3,)],
    lambda r, s: np.array([300.0, 301.0, -300.0]))

# ---- shape and array
row("roll", lambda x: tf.roll(x, [1, -1], [0, 1]), lambda a: np.roll(a, (1, -1), (0, 1)), [(2, 3)])
row("roll_repeat_axis", lambda x: tf.roll(x, [1, 1], [1, 1]), lambda a: np.roll(a, 2, 1), [(2, 3)])
row("repeat", lambda x: tf.repeat(x, [2, 0, 1], axis=1), lambda a: np.repeat(a, [2, 0, 1], axis=1), [(2, 3)])
row("repeat_flat", lambda x: tf.repeat(x, 2), lambda a: np.repeat(a, 2), [(2, 3)])
row("meshgrid_xy", lambda x, y: _join(*tf.meshgrid(x, y)), lambda a, b: _ajoin(*np.meshgrid(a, b)), [(2,), (3,)])
row("meshgrid_ij", lambda x, y, z: _join(*tf.meshgrid(x, y, z, indexing="ij")),
    lambda a, b, c: _ajoin(*np.meshgrid(a, b, c, indexing="ij")), [(2,), (3,), (2,)])


def _np_revseq(a, lens, sa, ba):
    out = a.copy()
    for b, L in enumerate(lens):
        sl = [slice(None)] * a.ndim
        sl[ba] = b
        sl[sa] = slice(0, L)
        out[tuple(sl)] = np.flip(a[tuple(sl)], axis=sa - (1 if ba < sa else 0))
    return out


row("reverse_sequence", lambda x: tf.reverse_sequence(x, _I(2, 3, 0), seq_axis=1),
    lambda a: _np_revseq(a, [2, 3, 0], 1, 0), [(3, 4)])
row("reverse_sequence_batch1", lambda x: tf.reverse_sequence(x, _I(1, 3), seq_axis=0, batch_axis=1),
    lambda a: _np_revseq(a, [1, 3], 0, 1), [(3, 2, 2)])
row("pad_reflect", lambda x: tf.pad(x, [[1, 1], [2, 2]], mode="REFLECT"),
    lambda a: np.pad(a, [(1, 1), (2, 2)], mode="reflect"), [(2, 3)])
row("pad_symmetric", lambda x: tf.pad(x, [[1, 0], [2, 3]], mode="SYMMETRIC"),
    lambda a: np.pad(a, [(1, 0), (2, 3)], mode="symmetric"), [(2, 3)])


def _np_bilinear(a, nh, nw):
    def axis(a, ax, n_in, n_out):
        src = (np.arange(n_out, dtype=np.float32) + 0.5) * np.float32(np.float32(n_in) / np.float32(n_out)) - 0.5
        f = np.floor(src)
        lo = np.maximum(f, 0).astype(int)
        hi = np.minimum(np.ceil(src), n_in - 1).astype(int)
        w = (src - f).astype(np.float64)
        s = [1] * a.ndim
        s[ax] = n_out
        A, B = np.take(a, lo, ax), np.take(a, hi, ax)
        return A + (B - A) * w.reshape(s)
    return axis(axis(a, 1, a.shape[1], nh), 2, a.shape[2], nw)


from gputape.ops.array import resize_bilinear_nhwc  # noqa: E402
row("resize_bilinear", lambda x: resize_bilinear_nhwc(x, 3, 5), lambda a: _np_bilinear(a, 3, 5), [(2, 4, 3, 2)])
row("resize_bilinear_down", lambda x: resize_bilinear_nhwc(x, 2, 2), lambda a: _np_bilinear(a, 2, 2), [(1, 5, 4, 1)])
row("resize_bilinear_public", lambda x: tf.image.resize(tf.cast(x, tf.float32), [3, 5]),
    lambda a: _np_bilinear(a[None], 3, 5)[0], [(4, 3, 1)], order=0, f32=False)
row("resize_nearest", lambda x: tf.image.resize(x, [5, 2], method="nearest"),
    lambda a: a[:, [0, 1, 2, 2, 3]][:, :, [0, 2]], [(1, 4, 3, 2)])
row("flip_left_right", tf.image.flip_left_right, lambda a: a[:, :, ::-1], [(1, 2, 3, 2)])

_IDS = [s.id for s in SPECS]
assert len(set(_IDS)) == len(_IDS), "duplicate spec ids"
_DIFF = [s for s in SPECS if s.order]


@pytest.mark.parametrize("spec", SPECS, ids=_IDS)
def test_forward_matches_numpy(spec):
    if spec.id == "resize_bilinear_public":       # float32 out whatever the input (TF): compare in float32
        xs = spec.args()
        got = spec.fn(*[tf.constant(x) for x in xs])
        assert got.dtype == tf.float32
        np.testing.assert_allclose(got.numpy(), spec.ref(*xs), rtol=2e-5, atol=2e-6)
        return
    H.test_forward_matches_numpy(spec)


@pytest.mark.parametrize("spec", _DIFF, ids=[s.id for s in _DIFF])
def test_vjp_jvp_second_order(spec):
    H.test_vjp_jvp_second_order(spec)


@pytest.mark.parametrize("spec", _DIFF, ids=[s.id for s in _DIFF])
def test_jacobian_matches_finite_differences(spec):
    H.test_jacobian_matches_finite_differences(spec)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order > 1], ids=[s.id for s in SPECS if s.order > 1])
def test_hessian_as_jacobian_of_gradient(spec):
    H.test_hessian_as_jacobian_of_gradient(spec)


# ================================================================ kinks: TF's values at ties, zeros and infinities
KINKS = [
    # (id, fn, inputs, expected gradient per input) -- float32, as TF 2.21 prints them
    ("cumprod_sum_at_zero_is_exact", tf.math.cumprod, [[2.0, 0.0, 3.0, 4.0]], [[1, 32, 0, 0]]),
    ("cumprod_two_zeros", tf.math.cumprod, [[2.0, 0.0, 3.0, 0.0]], [[1, 8, 0, 0]]),
    ("cumprod_excl_zero", lambda x: tf.math.cumprod(x, exclusive=True), [[2.0, 0.0, 3.0]], [[1, 2, 0]]),
    ("top_k_ties_lower_index", lambda x: tf.math.top_k(x, 2).values * tf.constant([1.0, 10.0]),
     [[1.0, 3.0, 3.0, 2.0]], [[0, 1, 10, 0]]),
    ("sort_ties_keep_order", lambda x: tf.sort(x) * tf.constant([1.0, 2.0, 3.0]), [[2.0, 1.0, 2.0]], [[2, 1, 3]]),
    ("segment_max_ties_split", lambda x: tf.math.segment_max(x, [0, 0, 0]), [[3.0, 1.0, 3.0]], [[0.5, 0, 0.5]]),
    ("unsorted_segment_min_ties", lambda x: tf.math.unsorted_segment_min(x, [0, 0, 1], 3), [[1.0, 1.0, 2.0]],
     [[0.5, 0.5, 1]]),
    ("segment_prod_one_zero", lambda x: tf.math.segment_prod(x, [0, 0, 0]), [[3.0, 0.0, 4.0]], [[0, 12, 0]]),
    ("segment_prod_two_zeros", lambda x: tf.math.segment_prod(x, [0, 0, 0]), [[0.0, 0.0, 4.0]], [[0, 0, 0]]),
    ("tensor_scatter_max_tie", lambda t, u: tf.tensor_scatter_nd_max(t, [[0]], u), [[2.0, 1.0], [2.0]],
     [[0.5, 1], [0.5]]),
    ("tensor_scatter_update_repeats_all_get_g", lambda t, u: tf.tensor_scatter_nd_update(t, [[0], [0]], u) * 3.0,
     [[1.0, 1.0], [5.0, 6.0]], [[0, 3], [3, 3]]),
    ("cumulative_logsumexp_neg_inf", tf.math.cumulative_logsumexp, [[0.0, float("-inf"), 0.0]], [[2.5, 0, 0.5]]),
    ("gather_nd_repeats_sum", lambda x: tf.gather_nd(x, [[1], [1], [0]]), [[1.0, 2.0]], [[1, 2]]),
    ("unsorted_segment_sum_drops_negative", lambda x: tf.math.unsorted_segment_sum(x, [0, -1], 1), [[1.0, 2.0]],
     [[1, 0]]),
    ("resize_bilinear_edges", lambda x: tf.image.resize(x, [1, 2]), [np.arange(4.0).reshape(2, 2, 1)],
     [np.full((2, 2, 1), 0.5)]),
]


@pytest.mark.parametrize("fn,inputs,want", [r[1:] for r in KINKS], ids=[r[0] for r in KINKS])
def test_kink_values(fn, inputs, want):
    H.test_kink_values_match_tensorflow(fn, inputs, want)


# ================================================================ the large-input paths (bincount / reduceat)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("mode", ["add", "sub", "max", "min", "update"])
def test_scatter_large_matches_numpy(mode, dtype):
    rng = np.random.default_rng(3)
    t = (rng.standard_normal((700, 3)) * 10).astype(dtype)
    idx = rng.integers(0, 700, (2000, 1))
    u = (rng.standard_normal((2000, 3)) * 10).astype(dtype)
    got = getattr(tf, f"tensor_scatter_nd_{mode}")(t, idx.astype(np.int32), u).numpy()
    want = t.copy()
    if mode == "update":
        want[idx[:, 0]] = u                             # NumPy: the last repeat wins, as TF's CPU kernel
    else:
        {"add": np.add, "sub": np.subtract, "max": np.maximum, "min": np.minimum}[mode].at(want, idx[:, 0], u)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)


def test_segment_and_scatter_nd_large():
    rng = np.random.default_rng(4)
    d = rng.standard_normal((3000, 2))
    ids = rng.integers(-1, 50, 3000)
    want = np.zeros((51, 2))
    np.add.at(want, np.where(ids < 0, 50, ids), d)
    got = tf.math.unsorted_segment_sum(d, ids.astype(np.int32), 50).numpy()
    np.testing.assert_allclose(got, want[:50], rtol=1e-12, atol=1e-12)
    sid = np.sort(rng.integers(0, 40, 3000))
    wmax = np.full((40,), -np.inf)
    np.maximum.at(wmax, sid, d[:, 0])
    got = tf.math.segment_max(d[:, 0], sid.astype(np.int64)).numpy()
    np.testing.assert_allclose(got, np.where(np.isinf(wmax), 0, wmax))
    idx = rng.integers(0, 5, (3000, 2))
    got = tf.scatter_nd(idx.astype(np.int32), d[:, 0], [5, 5]).numpy()
    want = np.zeros((5, 5))
    np.add.at(want, (idx[:, 0], idx[:, 1]), d[:, 0])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ================================================================ einsum against NumPy on drawn equations
from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def _equations(draw):
    letters = "abcde"
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    n_in = draw(st.integers(1, 3))
    # TF's pattern needs a non-empty left side: '' (one scalar) is a ValueError there, as here
    terms = [draw(st.lists(st.sampled_from(letters), min_size=int(n_in == 1), max_size=3)) for _ in range(n_in)]
    used = sorted({c for t in terms for c in t})
    out = draw(st.permutations(used).map(lambda p: p[:draw(st.integers(0, len(p)))])) if used else []
    explicit = draw(st.booleans())
    eq = ",".join("".join(t) for t in terms) + ("->" + "".join(out) if explicit else "")
    shapes = [tuple(sizes[c] for c in t) for t in terms]
    return eq, shapes


@settings(max_examples=60, deadline=None)
@given(_equations())
def test_einsum_matches_numpy_and_gradients(case):
    eq, shapes = case
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s) for s in shapes]
    got = tf.einsum(eq, *[tf.constant(x) for x in xs]).numpy()
    np.testing.assert_allclose(got, np.einsum(eq, *xs), rtol=1e-10, atol=1e-10)
    from gputape.testing import check_grads
    check_grads(lambda *t: tf.einsum(eq, *t), xs, order=2, modes=("rev", "fwd"))


def test_large_scatter_under_batched_cotangents():
    """nb > 0 (jacobian-style cotangents): the row view is not contiguous; the sort path writes through it."""
    from gputape.ops.indexing import _scatter_nd, _gather_nd
    rng = np.random.default_rng(5)
    idx = rng.integers(0, 300, (1000, 1))
    u = rng.standard_normal((2, 1000, 3))
    got = _scatter_nd(tf.constant(u), tf.constant(idx), shape=(300, 3), nb=1).numpy()
    want = np.zeros((2, 300, 3))
    for b in range(2):
        np.add.at(want[b], idx[:, 0], u[b])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    back = _gather_nd(tf.constant(want), tf.constant(idx), nb=1).numpy()
    np.testing.assert_allclose(back, want[:, idx[:, 0]])


def test_random_flip_left_right_flips_whole_images_and_follows_seeds():
    img = tf.reshape(tf.range(8 * 2 * 3, dtype=tf.float32), [8, 2, 3, 1])
    a = img.numpy()
    seen = set()
    for s in range(6):
        tf.random.set_seed(7)
        o = tf.image.random_flip_left_right(img, seed=s).numpy()
        tf.random.set_seed(7)
        again = tf.image.random_flip_left_right(img, seed=s).numpy()
        np.testing.assert_array_equal(o, again)            # op seed + global seed: reproducible
        for i in range(8):
            flipped = np.array_equal(o[i], a[i, :, ::-1])
            assert flipped or np.array_equal(o[i], a[i])
            seen.add(flipped)
    assert seen == {True, False}
    assert tf.image.random_flip_left_right(img[0]).shape == (2, 3, 1)
    with pytest.raises(ValueError):
        tf.image.random_flip_left_right(tf.ones([2, 2]))


# ================================================================ gather / gather_nd with batch_dims: drawn shapes
@st.composite
def _gather_case(draw):
    b = draw(st.integers(0, 2))
    batch = [draw(st.integers(1, 3)) for _ in range(b)]
    extra = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 3)))]
    axis = b + draw(st.integers(0, len(extra) - 1))
    pshape = batch + extra
    ishape = batch + [draw(st.integers(0, 3)) for _ in range(draw(st.integers(0, 2)))]
    return pshape, ishape, axis, b


def _np_gather(p, idx, axis, b):
    if b == 0:
        return np.take(p, idx, axis=axis)
    return np.stack([_np_gather(p[i], idx[i], axis - 1, b - 1) for i in range(p.shape[0])])


@settings(max_examples=60, deadline=None)
@given(_gather_case(), st.integers(0, 2 ** 16))
def test_gather_batch_dims_against_numpy(case, seed):
    pshape, ishape, axis, b = case
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(pshape)
    idx = rng.integers(0, pshape[axis], ishape).astype(np.int32)
    got = tf.gather(tf.constant(p), tf.constant(idx), axis=axis, batch_dims=b)
    np.testing.assert_array_equal(got.numpy(), _np_gather(p, idx, axis, b))
    if p.size and idx.size:
        from gputape.testing import check_grads
        check_grads(lambda t: tf.gather(t, tf.constant(idx), axis=axis, batch_dims=b), [p], order=1)


def _np_gather_nd(p, idx, b):
    if b == 0:
        return p[tuple(np.moveaxis(idx, -1, 0))] if idx.shape[-1] else np.broadcast_to(p, idx.shape[:-1] + p.shape)
    return np.stack([_np_gather_nd(p[i], idx[i], b - 1) for i in range(p.shape[0])])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2), st.integers(0, 2 ** 16), st.data())
def test_gather_nd_against_numpy(b, seed, data):
    rng = np.random.default_rng(seed)
    batch = [data.draw(st.integers(1, 3)) for _ in range(b)]
    rest = [data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(1, 3)))]
    k = data.draw(st.integers(0, len(rest)))
    mid = [data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(0, 2)))]
    p = rng.standard_normal(batch + rest)
    idx = np.stack([rng.integers(0, d, batch + mid) for d in rest[:k]], axis=-1) if k else \
        np.zeros(batch + mid + [0], np.int64)
    idx = idx.astype(np.int64)
    got = tf.gather_nd(tf.constant(p), tf.constant(idx), batch_dims=b)
    np.testing.assert_array_equal(got.numpy(), _np_gather_nd(p, idx, b))
    from gputape.testing import check_grads
    check_grads(lambda t: tf.gather_nd(t, tf.constant(idx), batch_dims=b), [p], order=1)
