"""The tf.data cases recorded by gen_data.py (TensorFlow 2.21) and replayed by tests/test_data.py.

Each case is (name, code, options): ``code`` runs after PRELUDE with ``tf`` bound to TensorFlow or to
gputape and sets ``result`` (a one-line expression is the result).  The helpers turn elements and specs
into JSON: ``elems(ds)`` via ``as_numpy_iterator``, ``tensors(ds)`` via plain iteration (the dtype
names of the tensors), ``spec(ds.element_spec)``, ``card(ds)``.

options:
  "gputape": {"error": <class>, "why": ...} or {"result": ..., "why": ...}   a deliberate difference
"""

PRELUDE = '''
D = tf.data.Dataset

def enc(x):
    if isinstance(x, dict):
        return {"dict": {str(k): enc(v) for k, v in x.items()}, "keys": [str(k) for k in x]}
    if isinstance(x, tuple):
        return {"tuple": [enc(v) for v in x]}
    a = np.asarray(x)
    return {"value": a.tolist(), "dtype": a.dtype.name, "shape": list(a.shape), "scalar": not isinstance(x, np.ndarray)}

def elems(ds):
    return [enc(e) for e in ds.as_numpy_iterator()]

def _names(x):
    if isinstance(x, dict):
        return {str(k): _names(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return [_names(v) for v in x]
    return [type(x).__name__.replace("EagerTensor", "Tensor"), x.dtype.name, list(x.shape), x.numpy().tolist()]

def tensors(ds):
    return [_names(e) for e in ds]

def spec(s):
    if isinstance(s, dict):
        return {"dict": {str(k): spec(v) for k, v in s.items()}}
    if isinstance(s, tuple):
        return {"tuple": [spec(v) for v in s]}
    return {"spec": type(s).__name__, "shape": None if s.shape.rank is None else list(s.shape), "dtype": s.dtype.name}

def card(ds):
    c = ds.cardinality()
    return [c.dtype.name, int(c.numpy())]

def gen(values, signature):
    return D.from_generator(lambda: iter(values), output_signature=signature)

def ragged(dtype=None):
    dtype = dtype or tf.int32
    return gen([np.ones(1, dtype.as_numpy_dtype), 2 * np.ones(3, dtype.as_numpy_dtype)], tf.TensorSpec([None], dtype))
'''

TRUNC = "TF truncates a Python float yielded for an integer spec; gputape converts with constant()'s rules"
CASES = [
    # ---- from_tensor_slices: TF's structure and dtype rules
    ("fts_list_int", "elems(D.from_tensor_slices([1, 2, 3]))", {}),
    ("fts_list_float", "elems(D.from_tensor_slices([1., 2, 3]))", {}),
    ("fts_np_float64", "elems(D.from_tensor_slices(np.arange(3.)))", {}),
    ("fts_np_int64", "elems(D.from_tensor_slices(np.arange(3)))", {}),
    ("fts_bool", "elems(D.from_tensor_slices([True, False]))", {}),
    ("fts_big_int", "elems(D.from_tensor_slices([2 ** 40, 1]))", {}),
    ("fts_tuple", "elems(D.from_tensor_slices(([1, 2], [3., 4.])))", {}),
    ("fts_list_of_tuples", "elems(D.from_tensor_slices([(1, 2), (3, 4)]))", {}),
    ("fts_dict", 'elems(D.from_tensor_slices({"b": [1, 2], "a": [[1.], [2.]]}))', {}),
    ("fts_nested", 'elems(D.from_tensor_slices((np.arange(2), {"x": np.ones((2, 2)), '
                   '"y": (np.arange(2.), [[1, 2], [3, 4]])})))', {}),
    ("fts_tensor", "elems(D.from_tensor_slices(tf.constant([[1., 2.], [3., 4.]])))", {}),
    ("fts_matrix_rows", "tensors(D.from_tensor_slices(np.arange(6, dtype=np.float32).reshape(3, 2)))", {}),
    ("fts_empty", "[elems(D.from_tensor_slices(np.zeros((0, 3)))), card(D.from_tensor_slices(np.zeros((0, 3))))]", {}),
    ("fts_spec_tuple", "spec(D.from_tensor_slices(([1, 2], [[3.], [4.]])).element_spec)", {}),
    ("fts_spec_dict", 'spec(D.from_tensor_slices({"b": [1, 2], "a": np.zeros((2, 3), np.float16)}).element_spec)', {}),
    ("fts_card", "card(D.from_tensor_slices(np.zeros((5, 2))))", {}),
    ("fts_mismatch", "D.from_tensor_slices(([1, 2], [3., 4, 5]))", {}),
    ("fts_dict_mismatch", 'D.from_tensor_slices({"a": [1, 2], "b": [1, 2, 3]})', {}),
    ("fts_scalar", "D.from_tensor_slices(1)", {}),
    ("fts_empty_tuple", "D.from_tensor_slices(())", {}),
    ("fts_none", "D.from_tensor_slices(None)", {}),
    ("fts_ragged", "D.from_tensor_slices([[1], [2, 3]])", {}),
    ("fts_list_dict", 'D.from_tensor_slices([{"a": 1}])', {}),
    # ---- from_tensors
    ("ft_tuple", "elems(D.from_tensors(([1, 2], 3.)))", {}),
    ("ft_dict", 'elems(D.from_tensors({"a": 1}))', {}),
    ("ft_spec", "spec(D.from_tensors(([1, 2], 3.)).element_spec)", {}),
    ("ft_card", "card(D.from_tensors(([1, 2], 3.)))", {}),
    # ---- range
    ("range_stop", "elems(D.range(5))", {}),
    ("range_step", "elems(D.range(1, 10, 3))", {}),
    ("range_negative_step", "elems(D.range(5, 1, -2))", {}),
    ("range_empty", "elems(D.range(5, 1))", {}),
    ("range_output_type", "elems(D.range(3, output_type=tf.float32))", {}),
    ("range_spec", "spec(D.range(5).element_spec)", {}),
    ("range_card", "[card(D.range(1, 10, 3)), card(D.range(5, 1)), card(D.range(10, 0, -3))]", {}),
    ("range_tensors", "tensors(D.range(2))", {}),
    ("range_step0", "D.range(1, 5, 0)", {}),
    ("range_float", "D.range(0.5, 3)", {}),
    ("range_4args", "D.range(1, 10, 3, 4)", {}),
    ("range_noargs", "D.range()", {}),
    # ---- zip
    ("zip_args", "elems(D.zip(D.range(3), D.range(10, 15)))", {}),
    ("zip_tuple", "elems(D.zip((D.range(3), D.from_tensor_slices([1., 2.]))))", {}),
    ("zip_dict", 'elems(D.zip({"b": D.range(2), "a": D.range(5, 7)}))', {}),
    ("zip_nested", "elems(D.zip((D.range(3), (D.range(5), D.range(2)))))", {}),
    ("zip_one", "[elems(D.zip(D.range(2))), spec(D.zip(D.range(2)).element_spec)]", {}),
    ("zip_datasets_kw", "elems(D.zip(datasets=(D.range(2), D.range(2))))", {}),
    ("zip_spec", 'spec(D.zip({"a": D.range(3), "b": D.from_tensor_slices([[1.]])}).element_spec)', {}),
    ("zip_cards", "[card(D.zip(D.range(3), D.range(5))), card(D.zip(D.range(3).repeat(), D.range(5))), "
                  "card(D.zip(D.range(3).repeat(), D.range(5).repeat())), "
                  "card(D.zip(D.range(3).filter(lambda x: x > 0), D.range(5))), "
                  "card(D.zip(D.range(3).filter(lambda x: x > 0), D.range(5).repeat()))]", {}),
    ("zip_not_dataset", "D.zip(D.range(3), 1)", {}),
    ("zip_list", "D.zip([D.range(3), D.range(3)])", {}),
    ("zip_none", "D.zip()", {}),
    ("zip_both", "D.zip(D.range(3), datasets=(D.range(2),))", {}),
    # ---- from_generator
    ("gen_basic", "elems(gen([1, 2, 3], tf.TensorSpec([], tf.int32)))", {}),
    ("gen_tuple", "elems(gen([(1, [1., 2.]), (2, [3., 4.])], (tf.TensorSpec([], tf.int64), "
                  "tf.TensorSpec([2], tf.float32))))", {}),
    ("gen_dict", 'elems(gen([{"x": 1.5, "y": [1, 2]}], {"x": tf.TensorSpec([], tf.float64), '
                 '"y": tf.TensorSpec([None], tf.int32)}))', {}),
    ("gen_list_for_tuple", "elems(gen([[1, 2]], (tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32))))", {}),
    ("gen_int_to_float", "elems(gen([1, np.float64(1.5)], tf.TensorSpec([], tf.float32)))", {}),
    ("gen_np_float_to_int", "elems(gen([np.float32(1.5)], tf.TensorSpec([], tf.int32)))", {}),
    ("gen_ragged", "elems(ragged())", {}),
    ("gen_spec", "spec(ragged().element_spec)", {}),
    ("gen_card", "card(ragged())", {}),
    ("gen_types_shapes", "spec(D.from_generator(lambda: iter([(1, [1., 2.])]), output_types=(tf.int32, tf.float32), "
                         "output_shapes=((), (None,))).element_spec)", {}),
    ("gen_types_only", "spec(D.from_generator(lambda: iter([(1, [1., 2.])]), "
                       "output_types=(tf.int32, tf.float32)).element_spec)", {}),
    ("gen_types_elems", "elems(D.from_generator(lambda: iter([(1, [1., 2.])]), output_types=(tf.int32, tf.float32)))", {}),
    ("gen_args", "elems(D.from_generator(lambda n: iter(range(n)), args=(3,), output_signature=tf.TensorSpec([], tf.int64)))", {}),
    ("gen_twice", "g = gen([1, 2], tf.TensorSpec([], tf.int32))\nresult = [elems(g), elems(g)]", {}),
    ("gen_bad_shape", "elems(gen([np.ones(2)], tf.TensorSpec([3], tf.float64)))", {}),
    ("gen_bad_structure", "elems(gen([1], (tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32))))", {}),
    ("gen_bad_value", 'elems(gen(["a"], tf.TensorSpec([], tf.int32)))', {}),
    ("gen_py_float_to_int", "elems(gen([1.5], tf.TensorSpec([], tf.int32)))",
     {"gputape": {"error": "InvalidArgumentError", "why": TRUNC}}),
    ("gen_raises", "elems(D.from_generator(lambda: (1 / 0 for _ in range(2)), output_signature=tf.TensorSpec([], tf.float32)))",
     {"gputape": {"error": "ZeroDivisionError", "why": "the generator's own exception reaches the caller (TF: UnknownError)"}}),
    ("gen_no_signature", "D.from_generator(lambda: iter([1]))", {}),
    ("gen_both", "D.from_generator(lambda: iter([1]), output_types=tf.int32, output_signature=tf.TensorSpec([], tf.int32))", {}),
    ("gen_signature_dtype", "D.from_generator(lambda: iter([1]), output_signature=tf.int32)", {}),
    ("gen_not_callable", "D.from_generator(iter([1]), output_signature=tf.TensorSpec([], tf.float32))", {}),
    # ---- batch
    ("batch", "elems(D.range(7).batch(3))", {}),
    ("batch_drop", "elems(D.range(7).batch(3, drop_remainder=True))", {}),
    ("batch_big", "elems(D.range(3).batch(10))", {}),
    ("batch_tuple", "elems(D.from_tensor_slices(([1, 2, 3], [[1., 2.], [3., 4.], [5., 6.]])).batch(2))", {}),
    ("batch_dict", 'elems(D.from_tensor_slices({"a": [1, 2, 3], "b": [[1.], [2.], [3.]]}).batch(2))', {}),
    ("batch_generic", "elems(D.range(5).map(lambda x: (x, tf.cast(x, tf.float32) * 2)).batch(2))", {}),
    ("batch_shuffled_slices", "elems(D.from_tensor_slices(np.arange(12.).reshape(6, 2)).shuffle(1).batch(4))", {}),
    ("batch_spec", "[spec(D.range(3).batch(2).element_spec), spec(D.range(3).batch(2, drop_remainder=True).element_spec), "
                   "spec(D.from_tensor_slices(np.zeros((4, 3))).batch(2).element_spec)]", {}),
    ("batch_spec_unknown_rank", "spec(D.from_generator(lambda: iter([1]), output_types=tf.int32).batch(2).element_spec)", {}),
    ("batch_card", "[card(D.range(5).batch(2)), card(D.range(5).batch(2, True)), card(D.range(3).repeat().batch(2)), "
                   "card(D.range(3).filter(lambda x: True).batch(2)), card(D.range(0).batch(2))]", {}),
    ("batch_npc", "elems(D.range(5).batch(2, num_parallel_calls=2, deterministic=True))", {}),
    ("batch_tensors", "tensors(D.range(5).batch(2))", {}),
    ("batch_0", "D.range(3).batch(0)", {}),
    ("batch_negative", "D.range(3).batch(-1)", {}),
    ("batch_float", "D.range(3).batch(2.0)", {}),
    ("batch_shapes_differ", "elems(ragged(tf.float64).batch(2))", {}),
    # ---- padded_batch
    ("pb_default", "elems(ragged().padded_batch(2))", {}),
    ("pb_shapes_values", "elems(ragged().padded_batch(2, padded_shapes=[5], padding_values=-1))", {}),
    ("pb_minus_one", "elems(ragged().padded_batch(2, padded_shapes=[-1]))", {}),
    ("pb_dict", 'elems(gen([{"a": np.ones(1, np.int32), "b": np.ones((2, 1), np.float32)}, '
                '{"a": np.ones(3, np.int32), "b": np.ones((1, 1), np.float32)}], '
                '{"a": tf.TensorSpec([None], tf.int32), "b": tf.TensorSpec([None, 1], tf.float32)})'
                '.padded_batch(2, padding_values={"a": -1, "b": 0.5}))', {}),
    ("pb_tuple", "elems(gen([(np.ones(1, np.int32), 1.0)], (tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.float32)))"
                 ".padded_batch(2, padded_shapes=([3], []), padding_values=(7, 0.0)))", {}),
    ("pb_scalars", "elems(D.range(3).padded_batch(2))", {}),
    ("pb_known_dim_bigger", "elems(D.from_tensor_slices(np.ones((2, 3), np.int32)).padded_batch(2, padded_shapes=[5]))", {}),
    ("pb_bool", "elems(gen([[True], [True, True]], tf.TensorSpec([None], tf.bool)).padded_batch(2))", {}),
    ("pb_value_tensor", "elems(D.from_tensor_slices(np.ones((2, 3), np.float32)).padded_batch(2, padded_shapes=[4], "
                        "padding_values=tf.constant(-1.)))", {}),
    ("pb_spec", "[spec(ragged().padded_batch(2).element_spec), spec(ragged().padded_batch(2, padded_shapes=[5]).element_spec), "
                "spec(D.range(3).padded_batch(2, drop_remainder=True).element_spec), "
                "spec(D.from_tensor_slices(np.ones((2, 3), np.int32)).padded_batch(2).element_spec)]", {}),
    ("pb_spec_dict_none", 'spec(gen([{"a": np.ones(1, np.int32)}], {"a": tf.TensorSpec([None], tf.int32)})'
                          '.padded_batch(2, padded_shapes={"a": [None]}).element_spec)', {}),
    ("pb_card", "[card(ragged().padded_batch(2)), card(D.range(5).padded_batch(2, drop_remainder=True))]", {}),
    ("pb_too_small", "elems(ragged().padded_batch(2, padded_shapes=[2]))", {}),
    ("pb_wrong_rank", "ragged().padded_batch(2, padded_shapes=[2, 3])", {}),
    ("pb_unknown_rank", "D.from_generator(lambda: iter([np.ones(1, np.int32)]), output_signature=tf.TensorSpec(None, tf.int32)).padded_batch(2)", {}),
    ("pb_known_dim_smaller", "D.from_tensor_slices(np.ones((2, 3), np.int32)).padded_batch(2, padded_shapes=[2])", {}),
    ("pb_value_dtype", "D.from_tensor_slices(np.ones((2, 3), np.int32)).padded_batch(2, padding_values=0.5)", {}),
    ("pb_value_int_for_float", "D.from_tensor_slices(np.ones((2, 3), np.float32)).padded_batch(2, padding_values=0)", {}),
    ("pb_0", "D.range(3).padded_batch(0)", {}),
    # ---- unbatch
    ("unbatch_tuple", "elems(D.from_tensors(([[1, 2], [3, 4]], [5, 6])).unbatch())", {}),
    ("unbatch_dict", 'elems(D.from_tensors({"a": [[1, 2], [3, 4]]}).unbatch())', {}),
    ("unbatch_roundtrip", "elems(D.range(5).batch(2).unbatch())", {}),
    ("unbatch_card", "card(D.range(3).batch(2).unbatch())", {}),
    ("unbatch_spec", "[spec(D.range(3).batch(2).unbatch().element_spec), "
                     "spec(D.from_tensors(([[1, 2], [3, 4]], [5, 6])).unbatch().element_spec)]", {}),
    ("unbatch_scalar", "D.range(3).unbatch()", {}),
    ("unbatch_mismatch", "D.from_tensors(([1, 2], [5, 6, 7])).unbatch()", {}),
    # ---- shuffle (the order is not TF's: only what does not depend on it)
    ("shuffle_card", "[card(D.range(10).shuffle(3)), card(D.range(3).repeat().shuffle(3))]", {}),
    ("shuffle_spec", "spec(D.from_tensor_slices(([1], [2.])).shuffle(3).element_spec)", {}),
    ("shuffle_sorted", "sorted(int(v) for v in D.range(20).shuffle(5, seed=3).as_numpy_iterator())", {}),
    ("shuffle_0", "D.range(10).shuffle(0)", {}),
    ("shuffle_negative", "D.range(10).shuffle(-1)", {}),
    # ---- map
    ("map_scalar", "elems(D.range(4).map(lambda x: x * 2))", {}),
    ("map_unpacks_tuple", "elems(D.from_tensor_slices(([1, 2], [3, 4])).map(lambda a, b: a + b))", {}),
    ("map_dict", 'elems(D.from_tensor_slices({"a": [1, 2]}).map(lambda d: d["a"] * 2))', {}),
    ("map_list_is_tuple", "[elems(D.range(2).map(lambda x: [x, x + 1])), spec(D.range(3).map(lambda x: [x, x]).element_spec)]", {}),
    ("map_python_value", "[elems(D.range(2).map(lambda x: 1.5)), spec(D.range(2).map(lambda x: 1.5).element_spec)]", {}),
    ("map_numpy_value", "spec(D.range(2).map(lambda x: np.float64(1.)).element_spec)", {}),
    ("map_nested_out", 'spec(D.from_tensor_slices(([1, 2], [4, 5])).map(lambda a, b: {"s": a + b, "t": (a, [b])}).element_spec)', {}),
    ("map_parallel", "elems(D.range(20).map(lambda x: x * x, num_parallel_calls=4))", {}),
    ("map_autotune", "elems(D.range(9).map(lambda x: x + 1, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False))", {}),
    ("map_card", "[card(D.range(4).map(lambda x: x)), card(D.range(4).repeat().map(lambda x: x))]", {}),
    ("map_zip_elements", "elems(D.zip(D.from_tensor_slices(([1, 2], [3, 4])), D.range(2)).map(lambda a, b: a[0] + tf.cast(b, tf.int32)))", {}),
    ("map_npc_0", "D.range(3).map(lambda x: x, num_parallel_calls=0)", {}),
    ("map_npc_negative", "D.range(3).map(lambda x: x, num_parallel_calls=-5)", {}),
    ("map_npc_float", "D.range(3).map(lambda x: x, num_parallel_calls=2.0)", {}),
    # ---- filter
    ("filter", "elems(D.range(10).filter(lambda x: x % 3 == 0))", {}),
    ("filter_dict", 'elems(D.from_tensor_slices({"a": [1, 2, 3]}).filter(lambda d: d["a"] > 1))', {}),
    ("filter_tuple", "elems(D.from_tensor_slices(([1, 2, 3], [4, 5, 6])).filter(lambda a, b: a > 1))", {}),
    ("filter_python_bool", "elems(D.range(3).filter(lambda x: True))", {}),
    ("filter_card", "card(D.range(3).filter(lambda x: True))", {}),
    ("filter_int", "elems(D.range(3).filter(lambda x: x))", {}),
    ("filter_vector", "elems(D.range(3).filter(lambda x: tf.stack([x > 0, x > 0])))", {}),
    # ---- repeat, take, skip
    ("repeat_2", "elems(D.range(3).repeat(2))", {}),
    ("repeat_forever", "elems(D.range(3).repeat().take(7))", {}),
    ("repeat_negative", "elems(D.range(3).repeat(-5).take(8))", {}),
    ("repeat_empty_forever", "elems(D.range(0).repeat())", {}),
    ("repeat_cards", "[card(D.range(3).repeat()), card(D.range(3).repeat(2)), card(D.range(0).repeat()), "
                     "card(D.range(3).repeat(0)), card(D.range(3).repeat(-1)), card(D.range(3).repeat(-5)), "
                     "card(D.range(3).filter(lambda x: True).repeat(2))]", {}),
    ("repeat_float", "D.range(3).repeat(2.0)", {}),
    ("take", "[elems(D.range(5).take(2)), elems(D.range(3).take(5)), elems(D.range(3).take(-1)), elems(D.range(3).take(0))]", {}),
    ("take_cards", "[card(D.range(3).take(5)), card(D.range(3).take(-1)), card(D.range(3).repeat().take(5)), "
                   "card(D.range(3).filter(lambda x: True).take(2)), card(D.range(3).filter(lambda x: True).take(0))]", {}),
    ("take_minus_7_card", "card(D.range(3).take(-7))",
     {"gputape": {"result": ["int64", 3], "why": "TF reports -7, which is no cardinality; take(-7) yields all 3"}}),
    ("take_float", "D.range(3).take(1.5)", {}),
    ("take_none", "D.range(3).take(None)", {}),
    ("skip", "[elems(D.range(5).skip(2)), elems(D.range(3).skip(5)), elems(D.range(3).skip(-1)), elems(D.range(3).skip(0))]", {}),
    ("skip_cards", "[card(D.range(3).skip(5)), card(D.range(3).skip(-1)), card(D.range(3).skip(-7)), "
                   "card(D.range(3).repeat().skip(5)), card(D.range(3).filter(lambda x: True).skip(2)), "
                   "card(D.range(3).skip(1))]", {}),
    ("slices_take_skip_repeat", "elems(D.from_tensor_slices(np.arange(10)).skip(2).take(5).repeat(2).batch(4))", {}),
    # ---- enumerate, shard, cache, prefetch
    ("enumerate", "elems(D.range(3).enumerate(5))", {}),
    ("enumerate_tuple", "elems(D.from_tensor_slices(([1, 2], [4, 5])).enumerate())", {}),
    ("enumerate_spec", "spec(D.from_tensor_slices(([1, 2], [4, 5])).enumerate().element_spec)", {}),
    ("enumerate_float", "D.range(3).enumerate(1.5)", {}),
    ("shard", "[elems(D.range(10).shard(3, i)) for i in range(3)]", {}),
    ("shard_slices_batch", "elems(D.from_tensor_slices(np.arange(10)).shard(3, 1).batch(2))", {}),
    ("shard_cards", "[card(D.range(10).shard(3, i)) for i in range(3)] + [card(D.range(3).repeat().shard(2, 0))]", {}),
    ("shard_index_big", "D.range(10).shard(3, 3)", {}),
    ("shard_0", "D.range(10).shard(0, 0)", {}),
    ("shard_index_negative", "D.range(10).shard(3, -1)", {}),
    ("shard_float", "D.range(3).shard(2.0, 0)", {}),
    ("cache", "ds = D.range(4).map(lambda x: x * 3).cache()\nresult = [elems(ds), elems(ds), card(ds)]", {}),
    ("cache_file", "D.range(3).cache('some_file')",
     {"gputape": {"error": "NotImplementedError", "why": "a cache on disk is not implemented"}}),
    ("prefetch", "[elems(D.range(5).prefetch(2)), elems(D.range(5).prefetch(0)), elems(D.range(5).prefetch(tf.data.AUTOTUNE)), "
                 "card(D.range(5).prefetch(2))]", {}),
    ("prefetch_tensors", "tensors(D.from_tensor_slices(([1, 2], [[1.], [2.]])).batch(2).prefetch(1))", {}),
    ("prefetch_negative", "D.range(3).prefetch(-5)", {}),
    # ---- reduce
    ("reduce_sum", "D.range(5).reduce(np.int64(0), lambda s, x: s + x).numpy().tolist()", {}),
    ("reduce_tuple", "[t.numpy().tolist() for t in D.range(5).reduce((np.int64(0), np.int64(1)), lambda s, x: (s[0] + x, s[1] * 2))]", {}),
    ("reduce_dict", 'D.from_tensor_slices({"a": [1, 2]}).reduce({"s": np.int32(0)}, lambda s, d: {"s": s["s"] + d["a"]})["s"].numpy().tolist()', {}),
    ("reduce_empty", "D.range(0).reduce(np.int64(7), lambda s, x: s + x).numpy().tolist()", {}),
    ("reduce_shape_grows", "D.range(3).reduce(tf.zeros([0], tf.int64), lambda s, x: tf.concat([s, [x]], 0)).numpy().tolist()", {}),
    ("reduce_dtype_change", "D.range(5).reduce(np.int64(0), lambda s, x: tf.cast(s + x, tf.int32))", {}),
    ("reduce_structure_change", "D.range(5).reduce(np.int64(0), lambda s, x: (s, x))", {}),
    # ---- consumption
    ("len", "[len(D.range(3)), len(D.range(7).batch(2)), bool(D.range(3).repeat())]", {}),
    ("len_infinite", "len(D.range(3).repeat())", {}),
    ("len_unknown", "len(D.range(3).filter(lambda x: True))", {}),
    ("get_next_end", "it = iter(D.range(1))\nnext(it)\nit.get_next()", {}),
    ("iterate_twice", "ds = D.range(3)\nresult = [tensors(ds), tensors(ds)]", {}),
    ("iterator_next", "it = iter(D.range(3))\nresult = [int(next(it)), int(it.get_next()), int(it.next())]", {}),
    ("constants", "[tf.data.AUTOTUNE, tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY, "
                  "tf.data.experimental.AUTOTUNE, int(tf.data.experimental.cardinality(D.range(4)))]", {}),
    ("guide_loop", "x = np.arange(20, dtype=np.float32).reshape(10, 2)\ny = np.arange(10) % 3\n"
                   "ds = D.from_tensor_slices((x, y)).batch(4)\nresult = [[xb.numpy().sum().item(), yb.numpy().tolist()] for xb, yb in ds]", {}),
]
