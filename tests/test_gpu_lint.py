"""A lint (AST only, no GPU) for code that would break or sync on CuPy (issue 11, CI check 3).

Rules, over ``gputape/`` (each hit is fixed or put on ``ALLOW`` below with a one-line reason):

- **np-call**: inside an array function -- a function whose first parameter is ``xp`` (op forwards,
  CUDA twins, flat-buffer optimizer steps) -- a ``np.<f>(...)`` call on a value that may be a device
  array.  Allowed without listing: dtype/constant construction (``NP_OK``), calls that only see host
  metadata (``.shape``/``.dtype``/``.ndim``/``.size`` of the arrays, Python numbers), and calls under a
  ``xp is np`` guard (``if xp is np``, ``xp is np and ...``, ``... if xp is np else ...``, and the rest
  of a function after ``if xp is not np: return``).  Values are "may be device" by a small taint
  analysis: the function's array parameters (no default) and locals assigned from them or from ``xp.``.
- **host-sync**: ``float()``/``int()``/``bool()`` of a may-be-device value, and ``.item()`` or a
  zero-argument ``.get()`` (CuPy's device-to-host copy), inside array functions (also those that bind
  ``xp = _b.get_xp()`` themselves, where only ``xp.`` results count as device values), VJP/JVP rules
  (functions and lambdas given to ``def_vjp``/``def_vjp_all``/``def_jvp``) and optimizer
  ``_update``/``_step`` methods (all their parameters count as device values there).
- **name-dispatch**: the backend's name (``backend.name``, ``backend_name()``, ``== "cupy"``) outside
  ``backend.py``, ``kernels.py`` and ``Op._replan`` in ``op.py``: code must dispatch on the array's
  module (``backend.array_module``, ``xp``), not on which backend the process chose.
- **cache**: a module-level dict (or ``lru_cache``) written inside functions is a cache; it must be
  keyed by the array module (a key or sub-dict lookup using ``xp``) or be listed with why it cannot
  hold device arrays of the wrong module.

The allow-list entries are (rule, "path:function", source snippet of the flagged node); an entry that
no longer matches anything fails the test too, so the list stays exact.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "gputape"

# np.<f> allowed anywhere: dtypes, scalar types, dtype queries -- no array data
NP_OK = {"dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
         "uint32", "uint64", "bool_", "intp", "iinfo", "finfo", "result_type", "promote_types", "can_cast",
         "issubdtype", "broadcast_shapes", "errstate"}
META = {"shape", "dtype", "ndim", "size", "itemsize", "strides", "kind", "type", "name"}
NAME_EXEMPT = {"backend.py", "kernels.py"}
HOST_CASTS = {"float", "int", "bool"}
# parameters that carry host values (op params, flat-buffer step arguments), never array data
HOST_PARAMS = {"axes", "axis", "keepdims", "shape", "ksize", "strides", "pads", "paddings", "dilations", "dtype",
               "opt", "grp", "it", "n", "fill", "approximate", "take", "activation", "alpha", "amsgrad", "beta_1",
               "beta_2", "epsilon", "centered", "exclusive", "reverse", "depth", "nesterov", "momentum", "rho",
               "one_minus_beta_1", "one_minus_beta_2", "one_minus_rho", "with_momentum", "kept", "nb", "in_hw",
               "k_hw", "key", "fn", "ta", "tb", "self"}

ALLOW = {
    # -- host-sync
    ("host-sync", "checks.py:flush_device_checks", "int(np.argmax(flags))"):
        "flags is the host copy read by to_host just above: the one read all deferred index checks share",
    ("np-call", "checks.py:flush_device_checks", "np.argmax(flags)"):
        "flags is the host copy read by to_host just above",
    ("host-sync", "ops/math.py:clip_by_value", "bool(xp.any(xp.asarray(lo_d) > xp.asarray(hi_d)))"):
        "only for CuPy-tensor bounds (Python/NumPy bounds are checked on the host): TF's lo > hi error",
    ("host-sync", "ops/math.py:_pow_fwd", "bool((xp.asarray(y) < 0).any())"):
        "integer pow only: the negative-exponent error TF's CPU kernel raises (issue 11 I: one sync per integer pow)",
    ("host-sync", "op.py:_check_numerics", "bool(xp.all(xp.isfinite(t._v)))"):
        "opt-in debugging (enable_check_numerics): it must read the result, as TF's check does",
    ("host-sync", "op.py:_check_numerics", "bool(xp.any(xp.isnan(t._v)))"):
        "opt-in debugging, only after a non-finite value was found (names NaN or Inf)",
    ("host-sync", "ops/creation.py:truncated_normal", "bool(bad.any())"):
        "one flag read per redraw round (issue 11 I: remains; tests/test_sync_budget.py bounds it)",
    # -- name-dispatch
    ("name-dispatch", "tensor.py:device", "_b.name == 'cupy'"): "reports the device string; dispatches no array code",
    ("name-dispatch", "checks.py:memory_limit", "_b.name == 'cupy'"):
        "asks the CUDA device's memory size for the size limit; dispatches no array code",
    ("name-dispatch", "cli.py:_info", "name == 'cupy'"): "`gputape info` reports the backend it chose",
    ("name-dispatch", "cli.py:_cmd_info", "d['backend'] == 'cupy'"): "`gputape info` prints the device rows",
    ("name-dispatch", "op.py:_full", "_b.name == 'cupy'"):
        "runs an op's CUDA kernel on the CuPy backend, whose arrays every Tensor holds (the plan _replan makes)",
    ("name-dispatch", "function.py:__call__", "_b.name"):
        "a recorded program replays only on the backend it was recorded on (issue 12)",
    ("name-dispatch", "function.py:_replay", "_b.name == 'cupy'"):
        "CUDA graphs (gputape.cuda_graph) exist only on the CuPy backend (issue 12)",
    ("name-dispatch", "replay.py:__init__", "_b.name"): "records the backend a program was recorded on (issue 12)",
    ("name-dispatch", "replay.py:_compile", "_b.name == 'cupy'"):
        "replays op._full's dispatch: an op's CUDA kernel on the CuPy backend (issue 12)",
    ("host-sync", "replay.py:_same", "bool(xp.array_equal(a, b, equal_nan=True))"):
        "once per trace (not per call): was a Variable written by a path the recorder did not see (issue 12)",
    ("host-sync", "replay.py:_same", "bool(xp.array_equal(a, b))"):
        "once per trace (not per call): was a Variable written by a path the recorder did not see (issue 12)",
    # -- np-call
}


# ---------------------------------------------------------------- the lint

def _snip(node):
    return ast.unparse(node)


def _is_xp_is_np(test, op=ast.Is):
    return (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], op)
            and {_snip(test.left), _snip(test.comparators[0])} == {"xp", "np"})


def _mentions_xp_is_np(test):
    if _is_xp_is_np(test):
        return True
    return isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and any(map(_is_xp_is_np, test.values))


def _binds_xp(fn):
    """Whether ``fn`` itself assigns the name ``xp`` (``xp = _b.get_xp()``, ``xp = _b.xp or ...``)."""
    for n in ast.walk(fn):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and n is not fn:
            continue
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "xp" for t in n.targets):
            return True
    return False


class _Fn:
    """The taint state of one checked function."""

    def __init__(self, kind, tainted):
        self.kind = kind              # "array" (first parameter xp) or "rule" (VJP/JVP, optimizer step)
        self.tainted = set(tainted) - HOST_PARAMS

    def device(self, expr):
        """Whether ``expr`` may hold a device array's data (not only its metadata)."""
        for n in ast.walk(expr):
            if isinstance(n, ast.Name) and n.id in self.tainted:
                if not self._meta_only(expr, n):
                    return True
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and isinstance(n.func.value, ast.Name) and n.func.value.id == "xp"):
                return True
        return False

    @staticmethod
    def _meta_only(root, name):
        """Whether ``name`` is used as ``name[.attr...].shape`` (or .dtype, ...) only."""
        for p in ast.walk(root):
            if isinstance(p, ast.Attribute) and p.attr in META:
                base = p.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if base is name:
                    return True
        return False


class Lint(ast.NodeVisitor):
    def __init__(self, rel, src):
        self.rel, self.hits, self.stack, self.fns = rel, [], [], []
        self.guard = 0
        self.tree = ast.parse(src)
        self.rules = self._rule_functions(self.tree)
        self.backend_aliases, self.name_fns = self._aliases(self.tree)

    # -- what is checked
    @staticmethod
    def _rule_functions(tree):
        """Names of functions, and ids of lambdas, registered as VJP/JVP rules."""
        names, lambdas = set(), set()
        for n in ast.walk(tree):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in (
                    "def_vjp", "def_vjp_all", "def_jvp"):
                for a in n.args:
                    if isinstance(a, ast.Lambda):
                        lambdas.add(id(a))
                    elif isinstance(a, ast.Name):
                        names.add(a.id)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in n.decorator_list:
                    if isinstance(d, ast.Attribute) and d.attr in ("def_vjp", "def_vjp_all", "def_jvp"):
                        names.add(n.name)
        return names, lambdas

    @staticmethod
    def _aliases(tree):
        mods, fns = set(), set()
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom):
                for a in n.names:
                    if a.name == "backend":
                        mods.add(a.asname or a.name)
                    if n.module and n.module.endswith("backend") and a.name == "backend_name":
                        fns.add(a.asname or a.name)
        return mods, fns

    def hit(self, rule, node):
        where = ".".join(f for f in self.stack if f) or "<module>"
        if rule == "name-dispatch" and any(h[0] == rule and h[3] == node.lineno for h in self.hits):
            return          # `_b.name == "cupy"`: one hit, not two
        self.hits.append((rule, f"{self.rel}:{where.split('.')[-1]}", _snip(node), node.lineno))

    # -- functions
    def _enter(self, node, name):
        args = node.args
        params = [a.arg for a in args.posonlyargs + args.args]
        fn = None
        cls = self.stack[-1] if self.stack else None
        if params and params[0] == "xp":
            nodef = len(params) - len(args.defaults)
            fn = _Fn("array", [p for i, p in enumerate(params[1:], 1) if i < nodef])
        elif not isinstance(node, ast.Lambda) and _binds_xp(node):
            fn = _Fn("array", [])         # ``xp = _b.get_xp()`` inside: only ``xp.`` results are device values
        elif (name in self.rules[0] or id(node) in self.rules[1]
              or (name in ("_update", "_step") and params[:1] == ["self"] and cls is not None)):
            fn = _Fn("rule", [p for p in params if p != "self"] + [a.arg for a in args.kwonlyargs])
        self.stack.append(name)
        self.fns.append(fn)
        saved, self.guard = self.guard, 0
        if isinstance(node, ast.Lambda):
            self.visit(node.body)
        else:
            self._body(node.body)
        self.guard = saved
        self.fns.pop()
        self.stack.pop()

    def visit_FunctionDef(self, node):
        self._enter(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._enter(node, self.stack[-1] if self.stack else "<lambda>")

    def visit_ClassDef(self, node):
        self.stack.append(node.name)
        self.fns.append(None)
        self._body(node.body)
        self.fns.pop()
        self.stack.pop()

    def _body(self, stmts):
        """Statements in order, so taint flows forward; after ``if xp is not np: ... return`` the rest
        of the block is NumPy-only."""
        extra = 0
        for s in stmts:
            self.visit(s)
            if (isinstance(s, ast.If) and _is_xp_is_np(s.test, ast.IsNot) and s.body
                    and isinstance(s.body[-1], (ast.Return, ast.Raise))):
                self.guard += 1
                extra += 1
        self.guard -= extra

    def visit_If(self, node):
        self.visit(node.test)
        g = _mentions_xp_is_np(node.test)
        self.guard += g
        self._body(node.body)
        self.guard -= g
        neg = _is_xp_is_np(node.test, ast.IsNot)
        self.guard += neg
        self._body(node.orelse)
        self.guard -= neg

    def visit_For(self, node):
        self.visit(node.iter)
        self._taint(node.target, node.iter)
        self._body(node.body)
        self._body(node.orelse)

    def visit_While(self, node):
        self.visit(node.test)
        self._body(node.body)
        self._body(node.orelse)

    def visit_With(self, node):
        for i in node.items:
            self.visit(i)
        self._body(node.body)

    def visit_Try(self, node):
        self._body(node.body)
        for h in node.handlers:
            self._body(h.body)
        self._body(node.orelse)
        self._body(node.finalbody)

    def visit_IfExp(self, node):
        self.visit(node.test)
        g = _mentions_xp_is_np(node.test)
        self.guard += g
        self.visit(node.body)
        self.guard -= g
        neg = _is_xp_is_np(node.test, ast.IsNot)
        self.guard += neg
        self.visit(node.orelse)
        self.guard -= neg

    def visit_BoolOp(self, node):
        g = 0
        for v in node.values:
            self.visit(v)
            if isinstance(node.op, ast.And) and _is_xp_is_np(v):
                g += 1
                self.guard += 1
        self.guard -= g

    # -- taint
    def _taint(self, target, value):
        fn = self.fns[-1] if self.fns else None
        if fn is None or not fn.device(value):
            return
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                fn.tainted.add(n.id)

    def visit_Assign(self, node):
        self.visit(node.value)
        for t in node.targets:
            self._taint(t, node.value)
            self.visit(t)

    def visit_AugAssign(self, node):
        self.visit(node.value)
        self._taint(node.target, node.value)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
            self._taint(node.target, node.value)

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self._taint(node.target, node.value)

    # -- the rules
    def visit_Call(self, node):
        fn = self.fns[-1] if self.fns else None
        f = node.func
        if fn is not None and not self.guard:
            if (fn.kind == "array" and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and f.value.id == "np" and f.attr not in NP_OK
                    and any(fn.device(a) for a in list(node.args) + [k.value for k in node.keywords])):
                self.hit("np-call", node)
            if isinstance(f, ast.Name) and f.id in HOST_CASTS and node.args and fn.device(node.args[0]):
                self.hit("host-sync", node)
            if isinstance(f, ast.Attribute) and (f.attr == "item" or (f.attr == "get" and not node.args)):
                self.hit("host-sync", node)
        if isinstance(f, ast.Name) and f.id in self.name_fns or (
                isinstance(f, ast.Attribute) and f.attr == "backend_name"):
            self._name_hit(node)
        self.generic_visit(node)

    def _name_hit(self, node):
        if self.rel.split("/")[-1] in NAME_EXEMPT or (self.rel == "op.py" and "_replan" in self.stack):
            return
        self.hit("name-dispatch", node)

    def visit_Attribute(self, node):
        if node.attr == "name" and isinstance(node.value, ast.Name) and node.value.id in self.backend_aliases:
            self._name_hit(node)
        self.generic_visit(node)

    def visit_Compare(self, node):
        if any(isinstance(c, ast.Constant) and c.value == "cupy" for c in [node.left] + node.comparators):
            self._name_hit(node)
        self.generic_visit(node)


def _caches(rel, tree):
    """(name, lineno) of module-level caches not keyed by the array module."""
    top = {}
    for s in tree.body:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            v = s.value
            if isinstance(v, ast.Dict) and not v.keys or (
                    isinstance(v, ast.Call) and _snip(v.func).split(".")[-1] in (
                        "dict", "WeakKeyDictionary", "WeakValueDictionary", "OrderedDict", "defaultdict")):
                top[s.targets[0].id] = s.lineno
    written, by_module = set(), set()
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for n in ast.walk(fn):
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in top:
                if isinstance(n.ctx, ast.Store):
                    written.add(n.value.id)
                if any(isinstance(k, ast.Name) and k.id == "xp" for k in ast.walk(n.slice)):
                    by_module.add(n.value.id)
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                    and n.func.value.id in top):
                if n.func.attr in ("setdefault", "update", "__setitem__"):
                    written.add(n.func.value.id)
                if n.args and any(isinstance(k, ast.Name) and k.id == "xp" for k in ast.walk(n.args[0])):
                    by_module.add(n.func.value.id)
        for d in fn.decorator_list:
            if "lru_cache" in _snip(d) or _snip(d).endswith("cache"):
                yield fn.name, fn.lineno
    for name in sorted(written - by_module):
        yield name, top[name]


CACHE_ALLOW = {
    ("replay_twins.py", "_ok"): "twin name -> whether the sources it mirrors are unchanged: host bools (issue 12)",
    ("dtype_rules.py", "RULES"): "op name -> accepted dtypes: host metadata, no arrays",
    ("function.py", "_detectors"): "code object -> retracing detector: host objects, no arrays",
    ("keras/layers.py", "_takes_training"): "lru_cache over a layer's call signature: no arrays",
    ("keras/layers.py", "_training_position"): "lru_cache over a layer's call signature: no arrays",
    ("keras/layers.py", "_call_info"): "lru_cache over a layer's call signature: no arrays",
    ("keras/layers.py", "_training_default"): "lru_cache over a layer's call signature: no arrays",
    ("kernels.py", "_dummies"): "keyed by (xp.__name__, dtype): the array module is in the key",
    ("kernels.py", "_workspaces"): "keyed by (xp.__name__, dtype): the array module is in the key",
    ("ops/shape.py", "_GATHERED"): "id(gradient tensor) -> (weakref, indices tensor): a tag, never used as an array",
    ("kernels.py", "_modules"): "file -> compiled CUDA module: CuPy's only, nothing of NumPy's",
    ("kernels.py", "_sources"): "file -> kernel source text: host strings",
    ("kernels.py", "launch_counts"): "kernel name -> launch count: host integers",
    ("function.py", "_DTNAMES"): "numpy dtype -> its name: host strings, no arrays (issue 12)",
    ("replay.py", "_ALL_VARIABLES"): "id -> weakref of each live Variable: holds no arrays (issue 12)",
    ("tensor.py", "_SLICES"): "id(tensor) -> (weakref, variable, key): holds no arrays",
    ("ops/indexing.py", "_PATHS"): "(equation, shapes) -> numpy.einsum_path's contraction list: host tuples, no arrays",
}


def lint_source(rel, src):
    """All hits of one file: (rule, "path:function", snippet, line)."""
    lint = Lint(rel, src)
    lint._body(lint.tree.body)
    hits = list(lint.hits)
    for name, line in _caches(rel, lint.tree):
        hits.append(("cache", f"{rel}:{name}", name, line))
    return hits


def _all_hits():
    out = []
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).as_posix()
        out += lint_source(rel, p.read_text())
    return out


def _allowed(h):
    rule, where, snip, _ = h
    if rule == "cache":
        return (where.split(":")[0], snip) in CACHE_ALLOW
    return (rule, where, snip) in ALLOW


def test_gputape_passes_the_gpu_lint():
    hits = _all_hits()
    bad = [h for h in hits if not _allowed(h)]
    assert not bad, "GPU lint (fix with xp / array dispatch, or add to ALLOW with a reason):\n" + "\n".join(
        f"  {r} {w} line {ln}: {s}" for r, w, s, ln in bad)
    used = {(r, w, s) for r, w, s, _ in hits}
    stale = [k for k in ALLOW if k not in used]
    stale += [k for k in CACHE_ALLOW if ("cache", f"{k[0]}:{k[1]}", k[1]) not in used]
    assert not stale, f"allow-list entries that match nothing any more: {stale}"
    assert all(ALLOW.values()) and all(CACHE_ALLOW.values())


# ---------------------------------------------------------------- the lint catches planted violations

PLANTED = '''
import numpy as np
from . import backend as _b
_CACHE = {}

def _fwd(xp, x, y, axis=None):
    n = int(np.prod(x.shape))                 # metadata: fine
    z = xp.exp(x)
    w = np.log(z)                             # np-call on a device value (tainted local)
    if xp is np:
        w = np.log1p(x)                       # guarded: fine
    s = float(y.sum())                        # host-sync
    t = y.item()                              # host-sync
    h = x.get()                               # host-sync
    a = np.float32(1.5)                       # constant: fine
    return np.maximum(x, 0)                   # np-call on a parameter

def _numpy_rest(xp, x):
    if xp is not np:
        return xp.abs(x)
    return np.abs(x)                          # NumPy only after the guard: fine

def pick(x):
    if _b.name == "cupy":                     # name-dispatch
        return 1
    return _b.backend_name()                  # name-dispatch

def _k(xp, c, dtype):
    r = _CACHE.get((c, dtype))                # cache not keyed by module
    if r is None:
        r = _CACHE[(c, dtype)] = xp.asarray(c, dtype=dtype)
    return r

def draw(shape):
    xp = _b.get_xp()
    r = xp.ones(shape)
    n = len(shape)                            # host value: fine
    return float(r.sum()) + n                 # host-sync in a function that binds xp

class Adam:
    def _update(self, w, g, var, lr, t):
        return w - float(lr) * g              # host-sync in an optimizer step

op.def_vjp(lambda g, out, x: g * bool(x))      # host-sync in a VJP rule
'''


def test_the_lint_flags_planted_violations():
    hits = lint_source("planted.py", PLANTED)
    got = sorted((r, s) for r, _, s, _ in hits)
    assert got == sorted([
        ("np-call", "np.log(z)"), ("np-call", "np.maximum(x, 0)"),
        ("host-sync", "float(y.sum())"), ("host-sync", "y.item()"), ("host-sync", "x.get()"),
        ("name-dispatch", "_b.name == 'cupy'"), ("name-dispatch", "_b.backend_name()"),
        ("cache", "_CACHE"),
        ("host-sync", "float(lr)"), ("host-sync", "bool(x)"), ("host-sync", "float(r.sum())"),
    ]), got


def test_an_unlisted_real_hit_fails_the_lint():
    """The gate itself: one planted line in a real module's text turns the lint red."""
    src = (PKG / "ops" / "math.py").read_text() + "\n\ndef _planted(xp, x):\n    return np.exp(x)\n"
    hits = [h for h in lint_source("ops/math.py", src) if not _allowed(h)]
    assert [(r, s) for r, _, s, _ in hits] == [("np-call", "np.exp(x)")]
