"""Nested structures (list, tuple, namedtuple, dict) as tf.nest sees them: tensors are leaves."""


def _is_seq(x):
    return isinstance(x, (list, tuple, dict))


def flatten(structure):
    """Leaves in order; dicts by sorted key, as tf.nest does."""
    if not _is_seq(structure):
        return [structure]
    out = []
    _flatten_into(structure, out)
    return out


def _flatten_into(s, out):
    if isinstance(s, dict):
        for k in sorted(s, key=_key):
            _walk(s[k], out)
    else:
        for e in s:
            _walk(e, out)


def _walk(e, out):
    if _is_seq(e):
        _flatten_into(e, out)
    else:
        out.append(e)


def _key(k):
    return (str(type(k)), k) if not isinstance(k, (int, float, str)) else (type(k).__name__ != "str", k)


def pack_sequence_as(structure, flat):
    flat = list(flat)
    if not _is_seq(structure):
        if len(flat) != 1:
            raise ValueError(f"structure is a single leaf but {len(flat)} values were given")
        return flat[0]
    it = iter(flat)
    return _pack(structure, it)


def _pack(s, it):
    if isinstance(s, dict):
        vals = {k: (_pack(s[k], it) if _is_seq(s[k]) else next(it)) for k in sorted(s, key=_key)}
        return type(s)((k, vals[k]) for k in s) if type(s) is not dict else {k: vals[k] for k in s}
    items = [(_pack(e, it) if _is_seq(e) else next(it)) for e in s]
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return type(s)(*items)
    return type(s)(items)


def assert_same_structure(a, b):
    if _is_seq(a) != _is_seq(b):
        raise ValueError(f"structure {type(a).__name__} vs {type(b).__name__}")
    if not _is_seq(a):
        return
    if isinstance(a, dict):
        if not isinstance(b, dict) or sorted(a, key=_key) != sorted(b, key=_key):
            raise ValueError("dictionaries with different keys")
        for k in a:
            assert_same_structure(a[k], b[k])
        return
    if len(a) != len(b) or isinstance(b, dict):
        raise ValueError(f"sequences of length {len(a)} and {len(b)}")
    for x, y in zip(a, b):
        assert_same_structure(x, y)


def map_structure(fn, *structures):
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [fn(*xs) for xs in zip(*flats)])
