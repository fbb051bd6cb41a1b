"""Issue 8's metrics, losses, optimizer options, initializers, regularizers and constraints as small
programs run twice: by ``gen_metrics.py`` under TensorFlow 2.21 / Keras 3.15 (recording
``metrics.json``) and by the tests (``test_metrics.py``, ``test_losses_keras.py``,
``test_optimizers_more.py``, ``test_initializers.py``) under gputape, comparing with the record.

Each case is ``name: code`` or ``name: (code, rtol)``: ``code`` runs with ``tf``, ``keras`` (``tf.keras``)
and ``np`` bound, after ``keras.backend.clear_session()``, and sets ``result`` (a one-line
expression is its result).  Floats compare with ``rtol`` (default 1e-6, ``atol`` 1e-7; 0 means
exactly), everything else exactly; an error compares by class.  The name's prefix says which test
file runs it: ``metric_``, ``loss_``, ``opt_``, ``init_`` (initializers, regularizers, constraints).
Nothing here imports TensorFlow.
"""
from tf_fixture import run_code, to_jsonable  # noqa: F401  (to_jsonable: for gen_metrics.py and the tests)

Y2 = "[[0., 1., 0., 1.], [1., 0., 0., 1.], [0., 0., 1., 0.]]"
P2 = "[[0.1, 0.8, 0.3, 0.6], [0.7, 0.2, 0.4, 0.9], [0.2, 0.3, 0.95, 0.05]]"
LOGITS = "[[-1.5, 0.8, 0.3, 2.0], [0.7, -2.2, 0.4, 0.9], [1.2, 0.3, -0.95, 0.05]]"
SW = "[0.5, 2.0, 1.0]"

CASES = {
    # ---------------------------------------------------------------- Mean / Sum
    "metric_mean": "m = keras.metrics.Mean(); m.update_state([1., 3., 5., 7.]); result = m.result()",
    "metric_mean_weighted": """
m = keras.metrics.Mean()
m.update_state([1., 3., 5., 7.], sample_weight=[1., 1., 0., 0.])
m.update_state([[2., 4.], [6., 8.]], sample_weight=[0.5, 2.0])
result = [m.result(), m.total, m.count]""",
    "metric_mean_2d_weights": """
m = keras.metrics.Mean()
m.update_state([[1., 2., 3.], [4., 5., 6.]], sample_weight=[[1., 0., 1.], [0.5, 0.5, 2.]])
result = [m.result(), m.total, m.count]""",
    "metric_mean_weight_column": """
m = keras.metrics.Mean()
m.update_state([[1., 2.], [3., 4.], [5., 6.]], sample_weight=[[2.], [0.], [1.]])
result = [m.result(), m.total, m.count]""",
    "metric_mean_scalar_weight": """
m = keras.metrics.Mean()
m.update_state([[1., 2.], [3., 5.]], sample_weight=3.0)
result = [m.result(), m.total, m.count]""",
    "metric_mean_scalar_value": """
m = keras.metrics.Mean()
m.update_state(2.0); m.update_state(5.0)
result = [m.result(), m.count]""",
    "metric_mean_reset": """
m = keras.metrics.Mean()
m.update_state([1., 3.])
m.reset_state()
r0 = m.result()
m.update_state([10.])
result = [r0, m.result()]""",
    "metric_mean_call": "m = keras.metrics.Mean(); a = m([1., 2.]); b = m([4.]); result = [a, b]",
    "metric_mean_float64": """
m = keras.metrics.Mean(dtype="float64")
m.update_state([0.1, 0.2, 0.7])
result = [m.result(), tf.as_dtype(m.result().dtype).name, tf.as_dtype(m.total.dtype).name]""",
    "metric_mean_int_values": "m = keras.metrics.Mean(); m.update_state([1, 2, 4]); result = m.result()",
    "metric_mean_variables": "m = keras.metrics.Mean(name='loss_avg'); result = [v.path for v in m.variables]",
    "metric_mean_variables_not_trainable": "result = [v.trainable for v in keras.metrics.Mean().variables]",
    "metric_mean_config": "result = keras.metrics.Mean(name='x').get_config()",
    "metric_mean_bad_weight_shape": "keras.metrics.Mean().update_state([[1., 2.], [3., 4.]], sample_weight=[1., 2., 3.])",
    "metric_sum": """
m = keras.metrics.Sum()
m.update_state([1., 3., 5., 7.], sample_weight=[1., 1., 0., 0.])
m.update_state([[1., 2.], [3., 4.]])
result = [m.result(), [v.path for v in m.variables]]""",
    "metric_sum_call": "result = keras.metrics.Sum()([1., 2., 3.])",
    # ---------------------------------------------------------------- accuracies
    "metric_accuracy": """
m = keras.metrics.Accuracy()
m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
a = m.result()
m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1., 1., 0., 0.])
result = [a, m.result(), m.get_config()]""",
    "metric_binary_accuracy": """
m = keras.metrics.BinaryAccuracy()
m.update_state([[1], [1], [0], [0]], [[0.98], [1.], [0.], [0.6]])
a = m.result()
m.update_state([[1], [1], [0], [0]], [[0.98], [1.], [0.], [0.6]], sample_weight=[1., 0., 0., 1.])
result = [a, m.result(), m.get_config()]""",
    "metric_binary_accuracy_threshold": """
m = keras.metrics.BinaryAccuracy(threshold=0.7)
m.update_state([[1., 0., 1.], [0., 1., 1.]], [[0.8, 0.75, 0.7], [0.2, 0.71, 0.9]])
result = m.result()""",
    "metric_binary_accuracy_rank1": """
m = keras.metrics.BinaryAccuracy()
m.update_state([1., 0., 1., 0.], [[0.6], [0.4], [0.3], [0.7]])
result = m.result()""",
    "metric_binary_accuracy_fn": "result = keras.metrics.binary_accuracy([[1., 0.], [0., 0.]], [[0.6, 0.5], [0.2, 0.9]])",
    "metric_categorical_accuracy": """
m = keras.metrics.CategoricalAccuracy()
m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
a = m.result()
m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
result = [a, m.result()]""",
    "metric_categorical_accuracy_ties": """
result = keras.metrics.categorical_accuracy([[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]],
                                            [[0.4, 0.4, 0.2], [0.4, 0.4, 0.2], [0.3, 0.3, 0.3]])""",
    "metric_categorical_accuracy_3d": """
m = keras.metrics.CategoricalAccuracy()
m.update_state(np.eye(3, dtype="float32")[[[0, 1], [2, 2]]], np.array([[[.5, .3, .2], [.1, .8, .1]], [[.2, .2, .6], [.9, .05, .05]]], "float32"))
result = m.result()""",
    "metric_sparse_categorical_accuracy": """
m = keras.metrics.SparseCategoricalAccuracy()
m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
a = m.result()
m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
result = [a, m.result()]""",
    "metric_sparse_categorical_accuracy_3d": """
m = keras.metrics.SparseCategoricalAccuracy()
m.update_state([[0, 1], [2, 2]], np.array([[[.5, .3, .2], [.1, .8, .1]], [[.2, .2, .6], [.9, .05, .05]]], "float32"),
               sample_weight=[[1., 2.], [0.5, 1.]])
result = m.result()""",
    "metric_sparse_categorical_accuracy_fn": """
result = keras.metrics.sparse_categorical_accuracy([[2], [1], [0]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0], [0.5, 0.5, 0.]])""",
    "metric_top_k": """
m = keras.metrics.TopKCategoricalAccuracy(k=1)
m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
a = m.result()
m2 = keras.metrics.TopKCategoricalAccuracy(k=2)
m2.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
result = [a, m2.result(), m2.get_config()]""",
    "metric_top_k_ties": """
result = keras.metrics.top_k_categorical_accuracy([[0., 0., 1., 0.], [1., 0., 0., 0.]],
                                                  [[0.3, 0.3, 0.3, 0.1], [0.2, 0.5, 0.5, 0.1]], k=2)""",
    "metric_sparse_top_k": """
m = keras.metrics.SparseTopKCategoricalAccuracy(k=1)
m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
a = m.result()
m2 = keras.metrics.SparseTopKCategoricalAccuracy()
m2.update_state([[2], [1], [0]], [[0.1, 0.9, 0.8, .2, .3, .4, .5], [0.05, 0.95, 0, .1, .2, .3, .4], [0., .1, .2, .3, .4, .5, .6]])
result = [a, m2.result(), m2.get_config()]""",
    "metric_sparse_top_k_sorted_ids": """
m = keras.metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
m.update_state([2, 1, 0], [[2, 0, 1], [0, 2, 1], [1, 2, 0]])
result = [m.result(), m.get_config()]""",
    "metric_sparse_top_k_3d": """
result = keras.metrics.sparse_top_k_categorical_accuracy([[0, 1], [2, 2]],
    np.array([[[.5, .3, .2], [.1, .8, .1]], [[.2, .2, .6], [.9, .05, .05]]], "float32"), k=1)""",
    # ---------------------------------------------------------------- regression metrics
    "metric_mse": f"""
m = keras.metrics.MeanSquaredError()
m.update_state({Y2}, {P2})
a = m.result()
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [a, m.result(), m.get_config()]""",
    "metric_mae": f"""
m = keras.metrics.MeanAbsoluteError()
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [m.result(), m.get_config()]""",
    "metric_rmse": f"""
m = keras.metrics.RootMeanSquaredError()
m.update_state({Y2}, {P2})
a = m.result()
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [a, m.result(), m.get_config(), [v.path for v in m.variables]]""",
    "metric_rmse_rank1": """
m = keras.metrics.RootMeanSquaredError()
m.update_state([[1.], [2.], [4.]], [0.5, 2.5, 3.0])
result = m.result()""",
    # ---------------------------------------------------------------- precision / recall
    "metric_precision": """
m = keras.metrics.Precision()
m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
a = m.result()
m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
result = [a, m.result(), m.get_config(), [v.path for v in m.variables]]""",
    "metric_precision_probs": f"""
m = keras.metrics.Precision()
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [m.result(), m.true_positives, m.false_positives]""",
    "metric_precision_thresholds": f"""
m = keras.metrics.Precision(thresholds=[0.25, 0.5, 0.75])
m.update_state({Y2}, {P2})
result = [m.result(), m.true_positives, m.false_positives]""",
    "metric_precision_even_thresholds": f"""
m = keras.metrics.Precision(thresholds=[0.0, 0.5, 1.0])
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [m.result(), m.true_positives, m.false_positives]""",
    "metric_precision_top_k": f"""
m = keras.metrics.Precision(top_k=2)
m.update_state({Y2}, {P2})
result = [m.result(), m.true_positives, m.false_positives]""",
    "metric_precision_class_id": f"""
m = keras.metrics.Precision(class_id=3)
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [m.result(), m.true_positives, m.false_positives]""",
    "metric_precision_bad_threshold": "keras.metrics.Precision(thresholds=[0.5, 1.5])",
    "metric_recall": """
m = keras.metrics.Recall()
m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
a = m.result()
m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
result = [a, m.result(), m.get_config(), [v.path for v in m.variables]]""",
    "metric_recall_thresholds_weighted": f"""
m = keras.metrics.Recall(thresholds=[0.15, 0.5, 0.85])
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [m.result(), m.true_positives, m.false_negatives]""",
    "metric_recall_top_k_class_id": f"""
m = keras.metrics.Recall(top_k=2, class_id=1)
m.update_state({Y2}, {P2})
result = [m.result(), m.true_positives, m.false_negatives]""",
    # ---------------------------------------------------------------- AUC
    "metric_auc_roc": """
m = keras.metrics.AUC(num_thresholds=3)
m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
result = [m.result(), m.true_positives, m.false_positives, m.true_negatives, m.false_negatives]""",
    "metric_auc_roc_default": f"""
m = keras.metrics.AUC()
m.update_state({Y2}, {P2})
a = m.result()
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [a, m.result(), [v.path for v in m.variables], len(m.thresholds), m.get_config()]""",
    "metric_auc_doc": """
m = keras.metrics.AUC()
m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
result = m.result()""",
    "metric_auc_pr_interpolation": f"""
m = keras.metrics.AUC(curve="PR")
m.update_state({Y2}, {P2}, sample_weight={SW})
result = m.result()""",
    "metric_auc_pr_majoring": f"""
m = keras.metrics.AUC(curve="pr", summation_method="majoring", num_thresholds=20)
m.update_state({Y2}, {P2})
result = m.result()""",
    "metric_auc_roc_minoring": f"""
m = keras.metrics.AUC(summation_method="minoring", num_thresholds=7)
m.update_state({Y2}, {P2})
result = m.result()""",
    "metric_auc_prgain": f"""
m = keras.metrics.AUC(curve="PRGAIN", num_thresholds=11)
m.update_state({Y2}, {P2})
result = m.result()""",
    "metric_auc_thresholds": f"""
m = keras.metrics.AUC(thresholds=[0.3, 0.1, 0.7, 0.5])
m.update_state({Y2}, {P2}, sample_weight={SW})
result = [m.result(), m.thresholds, m.get_config()]""",
    "metric_auc_even_thresholds": f"""
m = keras.metrics.AUC(thresholds=[0.25, 0.5, 0.75], curve="PR")
m.update_state({Y2}, {P2})
result = [m.result(), m.true_positives]""",
    "metric_auc_from_logits": f"""
m = keras.metrics.AUC(from_logits=True, num_thresholds=50)
m.update_state({Y2}, {LOGITS})
result = m.result()""",
    "metric_auc_multi_label": f"""
m = keras.metrics.AUC(multi_label=True, num_thresholds=10)
m.update_state(tf.constant({Y2}), tf.constant({P2}), sample_weight={SW})
result = [m.result(), m.true_positives]""",
    "metric_auc_multi_label_weights": f"""
m = keras.metrics.AUC(multi_label=True, num_labels=4, label_weights=[0.1, 0.2, 0.3, 0.4], curve="PR")
m.update_state({Y2}, {P2})
result = m.result()""",
    "metric_auc_multi_label_uneven": f"""
m = keras.metrics.AUC(multi_label=True, thresholds=[0.1, 0.35, 0.62])
m.update_state(tf.constant({Y2}), tf.constant({P2}))
result = [m.result(), m.true_positives]""",
    "metric_auc_label_weights": f"""
m = keras.metrics.AUC(label_weights=[0.1, 0.2, 0.3, 0.4], num_thresholds=10)
m.update_state({Y2}, {P2})
result = m.result()""",
    "metric_auc_reset": f"""
m = keras.metrics.AUC()
m.update_state({Y2}, {P2})
m.reset_state()
m.update_state([0, 1], [0.2, 0.7])
result = m.result()""",
    "metric_auc_bad_num_thresholds": "keras.metrics.AUC(num_thresholds=1)",
    "metric_auc_bad_curve": "keras.metrics.AUC(curve='XY')",
    "metric_auc_bad_summation": "keras.metrics.AUC(summation_method='sideways')",
    "metric_auc_num_labels_without_multi": "keras.metrics.AUC(num_labels=3)",
    "metric_accuracy_shape_mismatch": "keras.metrics.Accuracy().update_state([1, 2, 3, 4], [1, 2, 3])",
    "metric_binary_accuracy_shape_mismatch": "keras.metrics.BinaryAccuracy().update_state([[1., 0.]], [[0.4, 0.6, 0.2]])",
    "metric_categorical_accuracy_shape_mismatch": "keras.metrics.CategoricalAccuracy().update_state([[0., 1.], [1., 0.]], [[0.4, 0.6, 0.2]])",
    "metric_sparse_categorical_accuracy_shape_mismatch": "keras.metrics.SparseCategoricalAccuracy().update_state([1, 0, 1], [[0.4, 0.6], [0.3, 0.7]])",
    "metric_mse_shape_mismatch": "keras.metrics.MeanSquaredError().update_state([[0., 1.]], [[0.4, 0.6, 0.2]])",
    "metric_rmse_shape_mismatch": "keras.metrics.RootMeanSquaredError().update_state([[0., 1.]], [[0.4, 0.6, 0.2]])",
    "metric_precision_shape_mismatch": "keras.metrics.Precision().update_state([0., 1., 1.], [0.4, 0.6])",
    "metric_auc_shape_mismatch": "keras.metrics.AUC().update_state([0., 1., 1.], [0.4, 0.6])",
    "metric_auc_broadcast_labels": "m = keras.metrics.AUC(num_thresholds=5); m.update_state([[1.], [0.]], [[0.4, 0.6], [0.3, 0.9]]); result = m.result()",
    "metric_top_k_shape_mismatch": "keras.metrics.SparseTopKCategoricalAccuracy(k=1).update_state([1, 0, 1], [[0.4, 0.6], [0.3, 0.7]])",
    "loss_huber_shape_mismatch": "keras.losses.Huber()([[0., 1.]], [[0.4, 0.6, 0.2]])",
    "loss_hinge_shape_mismatch": "keras.losses.Hinge()([[0., 1.]], [[0.4, 0.6, 0.2]])",
    "loss_focal_shape_mismatch": "keras.losses.BinaryFocalCrossentropy()([[0., 1.]], [[0.4, 0.6, 0.2]])",
    "loss_cosine_shape_mismatch": "keras.losses.CosineSimilarity()([[0., 1.]], [[0.4, 0.6, 0.2]])",
    "metric_repr": "result = [repr(keras.metrics.Mean()), str(keras.metrics.AUC(name='a'))]",

    # ---------------------------------------------------------------- losses: values, reductions, weights
    **{f"loss_{n}_{red}": (f"""
l = keras.losses.{cls}(reduction={red!r})
result = [l({Y2}, {P2}), l({Y2}, {P2}, sample_weight={SW})]""", 2e-6)
       for n, cls in (("mape", "MeanAbsolutePercentageError"), ("msle", "MeanSquaredLogarithmicError"),
                      ("huber", "Huber"), ("logcosh", "LogCosh"), ("kld", "KLDivergence"),
                      ("poisson", "Poisson"), ("hinge", "Hinge"), ("squared_hinge", "SquaredHinge"),
                      ("categorical_hinge", "CategoricalHinge"), ("cosine", "CosineSimilarity"),
                      ("focal", "BinaryFocalCrossentropy"))
       for red in ("sum_over_batch_size", "sum", "none")},
    **{f"loss_{n}_config": f"result = keras.losses.{cls}().get_config()"
       for n, cls in (("mape", "MeanAbsolutePercentageError"), ("msle", "MeanSquaredLogarithmicError"),
                      ("huber", "Huber"), ("logcosh", "LogCosh"), ("kld", "KLDivergence"),
                      ("poisson", "Poisson"), ("hinge", "Hinge"), ("squared_hinge", "SquaredHinge"),
                      ("categorical_hinge", "CategoricalHinge"), ("cosine", "CosineSimilarity"),
                      ("focal", "BinaryFocalCrossentropy"))},
    **{f"loss_{fn}_grad": (f"""
p = tf.constant({P2})
with tf.GradientTape() as t:
    t.watch(p)
    l = tf.reduce_sum(keras.losses.{fn}(tf.constant({Y2}), p))
result = [l, t.gradient(l, p)]""", 2e-6)
       for fn in ("huber", "logcosh", "kld", "poisson", "hinge", "squared_hinge", "categorical_hinge",
                  "cosine_similarity", "binary_focal_crossentropy", "mape", "msle")},
    "loss_huber_delta": (f"result = [keras.losses.Huber(delta=0.3)({Y2}, {P2}), keras.losses.huber({Y2}, {P2}, delta=0.25)]",
                         2e-6),
    "loss_huber_float64": f"result = keras.losses.Huber(dtype='float64')({Y2}, {P2})",
    "loss_hinge_pm1_labels": (f"result = keras.losses.hinge([[-1., 1., 1.], [1., -1., -1.]], [[0.3, -0.4, 2.], [0.5, 0.1, -1.]])",
                              2e-6),
    "loss_hinge_mixed_labels": (f"result = keras.losses.hinge([[0., 1., 2.]], [[0.3, -0.4, 2.]])", 2e-6),
    "loss_squared_hinge_pm1": (f"result = keras.losses.squared_hinge([[-1., 1.], [1., -1.]], [[0.3, -0.4], [0.5, 0.1]])", 2e-6),
    "loss_cosine_axis0": (f"result = keras.losses.CosineSimilarity(axis=0)({Y2}, {P2})", 2e-6),
    "loss_cosine_fn_axis0": (f"result = keras.losses.cosine_similarity({Y2}, {P2}, axis=0)", 2e-6),
    "loss_focal_options": (f"""
result = [keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.5)({Y2}, {P2}),
          keras.losses.BinaryFocalCrossentropy(from_logits=True, label_smoothing=0.1)({Y2}, {LOGITS}),
          keras.losses.BinaryFocalCrossentropy(gamma=0.0)({Y2}, {P2}),
          keras.losses.binary_focal_crossentropy({Y2}, {P2}, axis=0)]""", 3e-6),
    "loss_focal_grad_logits": (f"""
p = tf.constant({LOGITS})
with tf.GradientTape() as t:
    t.watch(p)
    l = keras.losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True)(tf.constant({Y2}), p)
result = t.gradient(l, p)""", 3e-6),
    "loss_kld_clip": (f"result = keras.losses.KLDivergence()([[0., 0.5, 0.5]], [[0.2, 0., 0.8]])", 2e-6),
    "loss_poisson_zero_pred": (f"result = keras.losses.Poisson()([[1., 0.]], [[0., 0.5]])", 2e-6),
    "loss_mape_zero_true": (f"result = keras.losses.MeanAbsolutePercentageError()([[0., 1.]], [[0.5, 0.5]])", 2e-6),
    "loss_msle_negative": (f"result = keras.losses.MeanSquaredLogarithmicError()([[-1., 1.]], [[0.5, -0.5]])", 2e-6),
    "loss_logcosh_large": (f"result = keras.losses.LogCosh()([[0., 0.]], [[100., -100.]])", 2e-6),
    "loss_rank_mismatch": (f"result = keras.losses.Huber()(tf.constant([[1.], [2.]]), tf.constant([1.5, 2.5]))", 2e-6),
    "loss_mae_sample_weight_2d": (f"result = keras.losses.LogCosh()({Y2}, {P2}, sample_weight=[[1.], [0.], [2.]])", 2e-6),
    "loss_bad_reduction": "keras.losses.Huber(reduction='avg')",
    "loss_aliases": (f"result = [keras.losses.mse({Y2}, {P2}), keras.losses.mae({Y2}, {P2}), "
                     f"keras.losses.mape({Y2}, {P2}), keras.losses.msle({Y2}, {P2}), keras.losses.kld({Y2}, {P2}), "
                     f"keras.losses.logcosh({Y2}, {P2})]", 2e-6),

    # ---------------------------------------------------------------- optimizers: options
    "opt_constraint_nonneg_sgd": """
v = tf.Variable([0.5, -1.0, 2.0], constraint=keras.constraints.NonNeg())
keras.optimizers.SGD(1.0).apply_gradients([(tf.constant([1.0, 1.0, -1.0]), v)])
result = v""",
    "opt_constraint_maxnorm_adam_ema": """
v = tf.Variable([[3.0, 0.5], [4.0, 0.5]], constraint=keras.constraints.MaxNorm(2.0))
opt = keras.optimizers.Adam(0.1, use_ema=True, ema_momentum=0.5)
for _ in range(3):
    opt.apply_gradients([(tf.constant([[1.0, -1.0], [0.5, 0.5]]), v)])
result = [v, opt.variables[2]]""",
    "opt_constraint_unitnorm_axis1": """
v = tf.Variable([[3.0, 4.0], [1.0, 0.0]], constraint=keras.constraints.UnitNorm(axis=1))
keras.optimizers.Lion(0.1).apply_gradients([(tf.constant([[1.0, -1.0], [0.5, 0.5]]), v)])
result = v""",
    "opt_constraint_accumulation": """
v = tf.Variable([0.5, -1.0], constraint=keras.constraints.NonNeg())
opt = keras.optimizers.SGD(0.1, gradient_accumulation_steps=2)
opt.apply_gradients([(tf.constant([1.0, 1.0]), v)])
a = v.numpy()
opt.apply_gradients([(tf.constant([1.0, 1.0]), v)])
result = [a, v]""",
    "opt_layer_constraint_and_regularizer": """
class L(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(3,), initializer=keras.initializers.Constant([0.5, -1.0, 2.0]),
                                 regularizer=keras.regularizers.L1L2(l1=0.1, l2=0.2), constraint="non_neg")
    def call(self, x):
        return x * self.w
layer = L()
x = tf.constant([[1.0, 2.0, 3.0]])
with tf.GradientTape() as t:
    y = tf.reduce_sum(layer(x)) + tf.add_n(layer.losses)
g = t.gradient(y, layer.trainable_weights)
keras.optimizers.SGD(0.5).apply_gradients(zip(g, layer.trainable_weights))
result = [layer.losses, g, layer.w]""",
    "opt_frozen_layer_no_regularization": """
class L(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(2,), initializer="ones", regularizer="l2")
    def call(self, x):
        return x * self.w
layer = L(); layer(tf.ones((1, 2)))
a = len(layer.losses)
layer.trainable = False
result = [a, len(layer.losses)]""",
    "opt_lr_callable": """
v = tf.Variable([1.0, -2.0])
opt = keras.optimizers.Nadam(learning_rate=lambda: 0.05)
for _ in range(3):
    opt.apply_gradients([(tf.constant([1.0, 0.5]), v)])
result = [v, opt.learning_rate]""",
    "opt_lr_schedule_adamax": """
v = tf.Variable([1.0, -2.0])
opt = keras.optimizers.Adamax(keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5))
for _ in range(4):
    opt.apply_gradients([(tf.constant([1.0, 0.5]), v)])
result = [v, opt.learning_rate]""",
    "opt_lr_set_adadelta": """
v = tf.Variable([1.0, -2.0])
opt = keras.optimizers.Adadelta(1.0)
opt.apply_gradients([(tf.constant([1.0, 0.5]), v)])
opt.learning_rate = 0.5
opt.apply_gradients([(tf.constant([1.0, 0.5]), v)])
result = [v, opt.learning_rate]""",
    "opt_lr_variable": "keras.optimizers.Adam(learning_rate=tf.Variable(0.1))",
    "opt_lr_int": "keras.optimizers.Lion(learning_rate=1)",
    **{f"opt_{n.lower()}_variables": f"""
v, w = tf.Variable([1.0, -2.0], name="a"), tf.Variable([[0.5]], name="b")
opt = keras.optimizers.{n}(0.1)
opt.apply_gradients([(tf.constant([1.0, 0.5]), v), (tf.constant([[2.0]]), w)])
result = [[x.path for x in opt.variables], [[int(d) for d in x.shape] for x in opt.variables]]"""
       for n in ("AdamW", "Adamax", "Nadam", "Adadelta", "Ftrl", "Lion")},
    "opt_adam_amsgrad_variables": """
v = tf.Variable([1.0, -2.0], name="a")
opt = keras.optimizers.Adam(0.1, amsgrad=True)
opt.apply_gradients([(tf.constant([1.0, 0.5]), v)])
result = [x.path for x in opt.variables]""",
    "opt_adamw_none_decay": "keras.optimizers.AdamW(weight_decay=None)",
    "opt_adamw_exclude": """
a, b = tf.Variable([1., 2.], name="kernel"), tf.Variable([1., 2.], name="bias")
opt = keras.optimizers.AdamW(0.1, weight_decay=0.5)
opt.exclude_from_weight_decay(var_names=["bias"])
opt.apply_gradients([(tf.constant([1., 1.]), a), (tf.constant([1., 1.]), b)])
result = [a, b]""",
    "opt_lion_bad_beta": "keras.optimizers.Lion(beta_1=0.0)",
    "opt_ftrl_bad_power": "keras.optimizers.Ftrl(learning_rate_power=0.5)",
    "opt_ftrl_bad_l1": "keras.optimizers.Ftrl(l1_regularization_strength=-0.1)",
    "opt_ftrl_bad_accumulator": "keras.optimizers.Ftrl(initial_accumulator_value=-1.0)",
    "opt_unknown_keyword": "keras.optimizers.Nadam(momentum=0.9)",
    "opt_get_names": "result = [type(keras.optimizers.get(n)).__name__ for n in ('adamw', 'adamax', 'nadam', 'adadelta', 'ftrl', 'lion')]",
    "opt_nadam_two_dtypes": """
v, w = tf.Variable(np.array([1.0, -2.0], "float64")), tf.Variable(np.array([0.5], "float32"))
opt = keras.optimizers.Nadam(0.1)
for _ in range(3):
    opt.apply_gradients([(tf.constant(np.array([1.0, 0.5], "float64")), v), (tf.constant(np.array([2.0], "float32")), w)])
result = [v, w, tf.as_dtype(opt.variables[-1].dtype).name]""",

    # ---------------------------------------------------------------- initializers
    "init_zeros_ones": "result = [keras.initializers.Zeros()((2, 3)), keras.initializers.Ones()((2,), dtype='float64'), keras.initializers.Ones()((2,), dtype='int32')]",
    "init_constant": "result = [keras.initializers.Constant(0.1)((2,)), keras.initializers.Constant(0.1)((2,), dtype='float64'), keras.initializers.Constant(3)((2,), dtype='int32')]",
    "init_constant_array": "result = keras.initializers.Constant(np.array([1.5, -2.0]))((3, 2))",
    "init_constant_list": "result = keras.initializers.Constant([[1.0], [2.0]])((2, 3))",
    "init_constant_bad_shape": "keras.initializers.Constant(np.array([1.0, 2.0]))((3,))",
    "init_identity": "result = [keras.initializers.Identity()((2, 3)), keras.initializers.Identity(gain=2.5)((3, 2))]",
    "init_identity_rank3": "keras.initializers.Identity()((2, 2, 2))",
    "init_orthogonal_rank1": "keras.initializers.Orthogonal()((3,))",
    "init_configs": """
I = keras.initializers
result = [c().get_config() for c in (I.Zeros, I.Ones, I.Constant, I.Identity, I.RandomNormal, I.RandomUniform,
          I.TruncatedNormal, I.VarianceScaling, I.GlorotNormal, I.GlorotUniform, I.HeNormal, I.HeUniform,
          I.LecunNormal, I.LecunUniform, I.Orthogonal)]""",
    "init_configs_seeded": """
I = keras.initializers
result = [I.RandomNormal(1.0, 2.0, seed=3).get_config(), I.VarianceScaling(2.0, 'fan_avg', 'uniform', seed=4).get_config(),
          I.VarianceScaling(distribution='normal').get_config(), I.Orthogonal(gain=0.5, seed=1).get_config(),
          I.HeNormal(seed=7).get_config()]""",
    "init_variance_scaling_bad_scale": "keras.initializers.VarianceScaling(scale=0.0)",
    "init_variance_scaling_bad_mode": "keras.initializers.VarianceScaling(mode='fan_sum')",
    "init_variance_scaling_bad_dist": "keras.initializers.VarianceScaling(distribution='cauchy')",
    "init_bad_seed": "keras.initializers.RandomNormal(seed=1.5)",
    "init_get_names": """
I = keras.initializers
result = [type(I.get(n)).__name__ for n in ('zeros', 'ones', 'glorot_uniform', 'glorot_normal', 'he_normal', 'he_uniform',
          'lecun_normal', 'lecun_uniform', 'random_normal', 'random_uniform', 'truncated_normal', 'orthogonal', 'identity',
          'variance_scaling', 'GlorotUniform', 'Orthogonal')]""",
    "init_shapes_dtypes": """
I = keras.initializers
result = [[list(c(seed=1)((3, 4, 2), dtype=d).shape), c(seed=1)((3, 4, 2), dtype=d).dtype.name]
          for c in (I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.VarianceScaling, I.GlorotNormal,
                    I.GlorotUniform, I.HeNormal, I.HeUniform, I.LecunNormal, I.LecunUniform, I.Orthogonal)
          for d in ('float32', 'float64')]""",
    # ---------------------------------------------------------------- regularizers
    "init_regularizer_values": """
x = tf.constant([[1.0, -2.0], [0.5, 3.0]])
R = keras.regularizers
result = [R.L1()(x), R.L2()(x), R.L1L2()(x), R.L1L2(l1=0.3, l2=0.1)(x), R.L1(0.5)(x), R.L2(0.25)(x),
          R.l1_l2(l1=0.01, l2=0.02)(x)]""",
    "init_regularizer_float64": """
x = tf.constant(np.array([1.0, -2.0]))
result = [keras.regularizers.L2(0.1)(x), keras.regularizers.L1L2(l1=0.1)(x), keras.regularizers.L1(0.1)(x)]""",
    "init_regularizer_grad": """
x = tf.Variable([[1.0, -2.0], [0.5, 3.0]])
with tf.GradientTape() as t:
    r = keras.regularizers.L1L2(l1=0.3, l2=0.1)(x)
result = t.gradient(r, x)""",
    "init_regularizer_configs": """
R = keras.regularizers
result = [R.L1().get_config(), R.L2().get_config(), R.L1L2().get_config(), R.L1L2(0.1, 0.2).get_config(),
          R.L1(0.3).get_config(), R.L2(None).get_config()]""",
    "init_regularizer_negative": "keras.regularizers.L2(-0.1)",
    "init_regularizer_nan": "keras.regularizers.L1(float('nan'))",
    "init_regularizer_base_config": "keras.regularizers.Regularizer().get_config()",
    "init_regularizer_get": "result = [type(keras.regularizers.get(n)).__name__ for n in ('l1', 'l2', 'l1l2', 'L1L2', 'L1')]",
    "init_regularizer_get_l1_l2": "keras.regularizers.get('l1_l2')",
    "init_regularizer_get_bad": "keras.regularizers.get('l3')",
    # ---------------------------------------------------------------- constraints
    "init_constraint_values": """
w = tf.constant([[3.0, 0.5, -1.0], [4.0, 0.5, 0.0]])
C = keras.constraints
result = [C.MaxNorm()(w), C.MaxNorm(1.0, axis=1)(w), C.NonNeg()(w), C.UnitNorm()(w), C.UnitNorm(axis=1)(w),
          C.MinMaxNorm()(w), C.MinMaxNorm(0.5, 2.0, rate=0.5, axis=1)(w)]""",
    "init_constraint_configs": """
C = keras.constraints
result = [C.MaxNorm().get_config(), C.NonNeg().get_config(), C.UnitNorm(axis=1).get_config(), C.MinMaxNorm().get_config()]""",
    "init_constraint_get": "result = [type(keras.constraints.get(n)).__name__ for n in ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm', 'MaxNorm', 'UnitNorm')]",
    # ---------------------------------------------------------------- session
    "init_set_random_seed_float": "keras.utils.set_random_seed(1.5)",
    "init_clear_session_names": """
keras.layers.Dense(1); keras.layers.Dense(1)
keras.backend.clear_session(free_memory=False)
result = keras.layers.Dense(1).name""",
}

# Keras signatures (parameter names, kinds and plain defaults) of the classes and functions issue 8 adds
SIGNATURES = [
    "metrics.Mean", "metrics.Sum", "metrics.Accuracy", "metrics.BinaryAccuracy", "metrics.CategoricalAccuracy",
    "metrics.SparseCategoricalAccuracy", "metrics.TopKCategoricalAccuracy", "metrics.SparseTopKCategoricalAccuracy",
    "metrics.MeanSquaredError", "metrics.MeanAbsoluteError", "metrics.RootMeanSquaredError", "metrics.AUC",
    "metrics.Precision", "metrics.Recall", "metrics.MeanMetricWrapper", "metrics.binary_accuracy",
    "metrics.categorical_accuracy", "metrics.sparse_categorical_accuracy", "metrics.top_k_categorical_accuracy",
    "metrics.sparse_top_k_categorical_accuracy",
    "losses.MeanAbsolutePercentageError", "losses.MeanSquaredLogarithmicError", "losses.Huber", "losses.LogCosh",
    "losses.BinaryFocalCrossentropy", "losses.KLDivergence", "losses.Poisson", "losses.Hinge", "losses.SquaredHinge",
    "losses.CategoricalHinge", "losses.CosineSimilarity", "losses.huber", "losses.hinge", "losses.squared_hinge",
    "losses.categorical_hinge", "losses.poisson", "losses.cosine_similarity", "losses.binary_focal_crossentropy",
    "optimizers.AdamW", "optimizers.Adamax", "optimizers.Nadam", "optimizers.Adadelta", "optimizers.Ftrl",
    "optimizers.Lion",
    "initializers.Zeros", "initializers.Ones", "initializers.Constant", "initializers.Identity",
    "initializers.RandomNormal", "initializers.RandomUniform", "initializers.TruncatedNormal",
    "initializers.VarianceScaling", "initializers.GlorotNormal", "initializers.GlorotUniform",
    "initializers.HeNormal", "initializers.HeUniform", "initializers.LecunNormal", "initializers.LecunUniform",
    "initializers.Orthogonal", "regularizers.L1", "regularizers.L2", "regularizers.L1L2", "constraints.MaxNorm",
    "constraints.NonNeg", "constraints.UnitNorm", "constraints.MinMaxNorm", "utils.set_random_seed",
    "backend.clear_session",
]


from keras_cases import resolve, signature_of  # noqa: E402,F401  (one definition, shared)


def code_and_rtol(case):
    return case if isinstance(case, tuple) else (case, 1e-6)


def run(code, tf, keras):
    """Run a case after ``keras.backend.clear_session()``; ``("value", result)`` or ``("error", exc)``."""
    import numpy as np
    keras.backend.clear_session()
    return run_code(code, {"tf": tf, "keras": keras, "np": np})


def close(got, want, rtol, atol=1e-7, path="result"):
    """None when ``got`` (gputape's JSON-able result) matches ``want`` (TF's recorded one), else the
    first difference as a string: floats within ``rtol``/``atol`` (NaN equals NaN; ``rtol=0``
    exact), everything else exactly, structure (list lengths, dict keys) exactly."""
    import math
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            d = close(g, w, rtol, atol, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"{path}: {got!r} != {want!r}"
        for k in want:
            d = close(got[k], want[k], rtol, atol, f"{path}[{k!r}]")
            if d:
                return d
        return None
    if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        if math.isnan(want):
            return None if math.isnan(got) else f"{path}: {got!r} != nan"
        if rtol == 0:
            return None if got == want else f"{path}: {got!r} != {want!r}"
        return None if abs(got - want) <= atol + rtol * abs(want) else f"{path}: {got!r} != {want!r}"
    return None if got == want else f"{path}: {got!r} != {want!r}"


_RECORDED = {}


def check(name, tf, ours):
    """Run case ``name`` under gputape (``tf``) and compare with the record; returns a message or None.
    ``ours``: gputape's error classes by TF class name (for recorded errors)."""
    from tf_fixture import TF_ERROR_BUILTIN, load
    if not _RECORDED:
        _RECORDED.update(load("metrics"))
    rec = _RECORDED[name]
    code, rtol = code_and_rtol(CASES[name])
    kind, r = run(code, tf, tf.keras)
    if "error" in rec:
        cls = ours.get(rec["error"]) or TF_ERROR_BUILTIN[rec["error"]]
        if kind != "error":
            return f"TF raised {rec['error']}: {rec['message']!r}; gputape returned {to_jsonable(r)!r}"
        if not isinstance(r, cls):
            return f"TF raised {rec['error']}; gputape raised {type(r).__name__}: {r}"
        return None
    if kind == "error":
        import traceback
        return "gputape raised: " + "".join(traceback.format_exception(r))[-2000:]
    return close(to_jsonable(r), rec["value"], rtol)
