"""custom_gradient, recompute_grad and grad_pass_through."""
import functools
import inspect

from . import nest
from .errors import InvalidArgumentError
from .op import Op, _record
from .state import state as _state
from .tensor import _Base, Tensor, Variable, _wrap, convert_to_tensor


class _VariableProbe:
    """A recorder that records nothing and notes the variables read (in first-read order)."""

    def __init__(self):
        self.variables = {}

    def _record(self, *a):
        pass

    def _read(self, var, snap, stack, k):
        if var._trainable:
            self.variables.setdefault(id(var), var)


def _run_unrecorded(f, args, kwargs):
    """Run ``f`` with no recorder seeing its ops; return its result and the variables it read."""
    probe = _VariableProbe()
    saved = _state.stack
    _state.stack = [probe]
    try:
        res = f(*args, **kwargs)
    finally:
        _state.stack = saved
    return res, list(probe.variables.values())


def _accepts_variables(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    return "variables" in sig.parameters or any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


def custom_gradient(f=None):
    """Decorate ``f(*x) -> (y, grad_fn)``; ``grad_fn(*dy)`` returns one gradient per tensor argument.

    Tensor arguments are the inputs: positional ones, then keyword ones in ``f``'s parameter order
    (``f(x=x, y=y)`` gets the same custom gradient as ``f(x, y)``; TF 2.21 instead silently
    differentiates through ``f``'s forward for keyword tensors).  Variables ``f`` reads that are not
    arguments are captured: ``grad_fn`` must then accept ``variables=`` and return
    ``(input_grads, variable_grads)``.  A Variable passed as an argument is an input only (as TF).

    Unlike TensorFlow, the returned gradients are checked: their number, and each one's
    shape and dtype against its input, with an error naming the input.

    >>> @custom_gradient
    ... def clip_grad_identity(x):
    ...     return identity(x), lambda dy: clip_by_value(dy, -1.0, 1.0)
    """
    if f is None:
        return custom_gradient
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        sig = None

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        (out, grad_fn), variables = _run_unrecorded(f, args, kwargs)
        # the inputs: tensor arguments, positional then keyword (in f's parameter order)
        named = _arguments(sig, args, kwargs)
        arg_inputs = [(what, a) for what, a in named if isinstance(a, _Base)]
        # a variable passed as an argument is an input, not a captured variable (as TF)
        variables = [v for v in variables if all(v is not a for _, a in arg_inputs)]
        if variables and not _accepts_variables(grad_fn):
            raise TypeError(f"@tf.custom_gradient grad_fn must accept keyword argument 'variables', since "
                            f"function uses variables: {variables}")
        stack = _state.stack
        flat = nest.flatten(out)
        outs = [_wrap(convert_to_tensor(o)._v) for o in flat]
        if not stack:
            return nest.pack_sequence_as(out, outs)
        inputs = [a for _, a in arg_inputs] + variables
        op = Op(f"custom_gradient({getattr(f, '__name__', 'f')})", None, nout=len(outs))
        n_in = len(arg_inputs)

        def vjp_all(gs, o, ins, needs, **params):
            gs = list(gs) if isinstance(gs, (list, tuple)) else [gs]
            gs = [g if g is not None else _zeros_like(t) for g, t in zip(gs, outs)]
            if variables:
                res = grad_fn(*gs, variables=list(variables))
                if not (isinstance(res, (list, tuple)) and len(res) == 2):
                    raise ValueError("Must return gradient for each variable from @custom_gradient grad_fn.")
                in_grads, var_grads = res
                in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
                var_grads = list(var_grads)
                if len(var_grads) != len(variables):
                    raise ValueError("Must return gradient for each variable from @custom_gradient grad_fn.")
            else:
                res = grad_fn(*gs)
                in_grads = list(res) if isinstance(res, (list, tuple)) else [res]
                var_grads = []
            if len(in_grads) != n_in:
                raise ValueError(f"custom_gradient function expected to return {n_in} gradients, but returned "
                                 f"{len(in_grads)} instead. ({op.name}: one per tensor argument, here "
                                 f"{', '.join(w for w, _ in arg_inputs) or 'none'})")
            grads = in_grads + var_grads
            for k, (gr, x) in enumerate(zip(grads, ins)):
                if gr is None:
                    continue
                gr = gr if isinstance(gr, _Base) else convert_to_tensor(gr, dtype=x.dtype)
                grads[k] = gr
                what = (f"argument {arg_inputs[k][0]}" if k < n_in else f"variable '{variables[k - n_in].name}'")
                if gr._v.dtype != x._v.dtype:
                    raise InvalidArgumentError(
                        f"custom_gradient {op.name}: the gradient for {what} has dtype {gr._v.dtype.name} but "
                        f"the input has dtype {x._v.dtype.name}")
                if tuple(gr._v.shape[-x._v.ndim:] if x._v.ndim else ()) != tuple(x._v.shape) and \
                        tuple(gr._v.shape) != tuple(x._v.shape):
                    raise InvalidArgumentError(
                        f"custom_gradient {op.name}: the gradient for {what} has shape {tuple(gr._v.shape)} "
                        f"but the input has shape {tuple(x._v.shape)}")
            return grads

        op.vjp_all = vjp_all
        result = outs[0] if len(outs) == 1 else tuple(outs)
        _record(op, tuple(inputs), [a._v for a in inputs], result, {}, stack)
        return nest.pack_sequence_as(out, outs)

    return wrapper


def _arguments(sig, args, kwargs):
    """(description, value) for each argument of a call: positional ones, then keyword ones in the
    function's parameter order (``**kwargs`` ones in call order)."""
    out = [(f"#{i}", a) for i, a in enumerate(args)]
    if not kwargs:
        return out
    order = list(sig.parameters) if sig is not None else []
    rank = {name: k for k, name in enumerate(order)}
    for name in sorted(kwargs, key=lambda n: rank.get(n, len(order))):
        out.append((f"'{name}'", kwargs[name]))
    return out


def _zeros_like(t):
    from .ops import zeros_like
    return zeros_like(t)


def recompute_grad(f):
    """Gradient checkpointing: the forward keeps no intermediates; the backward reruns ``f``."""
    from .tape import GradientTape

    @custom_gradient
    def inner(*args, **kwargs):
        out = f(*args, **kwargs)

        def grad_fn(*dys, variables=None):
            variables = variables or []
            # the same inputs, in the same order, as custom_gradient counts them
            xs = [a for _, a in _arguments(None, args, kwargs) if isinstance(a, _Base)]
            with GradientTape() as t:
                t.watch(xs)
                t.watch(variables)
                out2 = f(*args, **kwargs)
            grads = t.gradient(nest.flatten(out2), xs + list(variables), output_gradients=list(dys))
            grads = [g if g is not None else _zeros_like(x) for g, x in zip(grads, xs + list(variables))]
            n = len(xs)
            return (grads[:n], grads[n:]) if variables else grads[:n]

        return out, grad_fn

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return inner(*args, **kwargs)

    return wrapper


def grad_pass_through(f):
    """Forward ``f(x)``, backward the identity (straight-through)."""
    @custom_gradient
    def inner(x):
        def grad_fn(dy, variables=None):
            return (dy, [None] * len(variables)) if variables else dy
        return f(x), grad_fn

    @functools.wraps(f)
    def wrapper(x):
        return inner(x)

    return wrapper
