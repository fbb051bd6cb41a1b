"""Issue 10's math, linalg and random cases, run twice: by ``gen_opsmath.py`` under TensorFlow 2.21
(recording ``opsmath.json``) and by ``tests/test_opsmath_tf.py`` under gputape (comparing with the
record).  Each case is (name, code): code is an expression (or a program setting ``result``) over
``tf`` and ``np`` and the PRELUDE's helpers; ``vg(f, *xs)`` gives [f(*xs), d sum(w * f)/d x for each x]
with a fixed weighting w, so gradients of non-scalar outputs are checked element by element.
Nothing here imports TensorFlow."""

PRELUDE = '''
def _w(y):
    n = int(np.prod(y.shape)) if len(y.shape) else 1
    return tf.constant(np.linspace(0.5, 1.5, n).reshape(tuple(y.shape)), y.dtype)

def vg(f, *xs, dtype=None):
    dtype = dtype or tf.float64
    xs = [tf.constant(np.asarray(x), dtype) for x in xs]
    with tf.GradientTape() as t:
        t.watch(xs)
        y = f(*xs)
        s = tf.reduce_sum(y * _w(y))
    # TF gives IndexedSlices for gathers (embedding_lookup): compared densely
    return [y] + [tf.convert_to_tensor(g) if hasattr(g, 'indices') else g for g in t.gradient(s, xs)]

def sym(a):
    a = np.asarray(a, dtype=np.float64)
    return a @ a.T + a.shape[-1] * np.eye(a.shape[-1])

def rgg(a, x, dtype=None):
    """d sample / d alpha of a Gamma draw: TF's RandomGammaGrad op, gputape's random_gamma_grad."""
    a, x = tf.constant(a, dtype or tf.float64), tf.constant(x, dtype or tf.float64)
    if hasattr(tf, "raw_ops"):
        return tf.raw_ops.RandomGammaGrad(alpha=a, sample=x)
    from gputape.ops.random_ops import random_gamma_grad
    return random_gamma_grad(a, x)

A3 = [[2.0, 0.3, -0.4], [0.1, 1.5, 0.2], [-0.3, 0.4, 2.5]]
B32 = [[1.0, -1.0], [0.5, 2.0], [-0.2, 0.3]]
R43 = [[1.0, 0.2, -0.5], [0.3, -1.2, 0.8], [0.6, 0.4, 1.1], [-0.7, 0.9, 0.2]]
E3 = [[4.0, 1.0, 0.5], [1.0, 3.0, -0.2], [0.5, -0.2, 1.0]]
'''

X = "[0.3, 1.2, 2.5, 7.0]"
CASES = [
    # ---- special functions: values and gradients
    ("math/lgamma", f"vg(tf.math.lgamma, {X})"),
    ("math/lgamma_negative", "vg(tf.math.lgamma, [-0.5, -1.5, -2.3])"),
    ("math/lgamma_poles", "tf.math.lgamma(tf.constant([0.0, -1.0, -2.0]))"),
    ("math/digamma", f"vg(tf.math.digamma, {X})"),
    ("math/digamma_negative", "vg(tf.math.digamma, [-0.5, -1.3])"),
    ("math/digamma_poles", "tf.math.digamma(tf.constant([0.0, -1.0]))"),
    ("math/polygamma", "vg(lambda x: tf.math.polygamma(tf.constant([1.0, 2.0, 3.0, 1.0], tf.float64), x), [0.4, 1.3, 2.0, 6.0])"),
    ("math/erfc", "vg(tf.math.erfc, [-1.5, 0.0, 0.7, 3.0])"),
    ("math/erfc_large", "tf.math.erfc(tf.constant([10.0, 27.0], tf.float64))"),
    ("math/erfinv", "vg(tf.math.erfinv, [-0.9, -0.2, 0.0, 0.5, 0.99])"),
    ("math/erfinv_edges", "tf.math.erfinv(tf.constant([-1.0, 1.0, 1.5, -2.0]))"),
    ("math/xlog1py", "vg(tf.math.xlog1py, [0.0, 0.0, 1.5, -2.0], [-1.0, 2.0, 0.5, 3.0])"),
    ("math/xlogy", "vg(tf.math.xlogy, [0.0, 0.0, 1.5, -2.0], [0.0, 2.0, 0.5, 3.0])"),
    ("math/log_sigmoid", "vg(tf.math.log_sigmoid, [-100.0, -5.0, 0.0, 3.0, 100.0])"),
    ("math/log_sigmoid_f32", "vg(tf.math.log_sigmoid, [-100.0, -20.0, 0.0, 20.0, 100.0], dtype=tf.float32)"),
    ("math/softplus_f32_large", "vg(tf.math.softplus, [-100.0, -20.0, 0.0, 20.0, 100.0], dtype=tf.float32)"),
    ("math/polyval", "vg(lambda x: tf.math.polyval([2.0, -1.0, 0.5], x), [-1.0, 0.0, 2.0], dtype=tf.float32)"),
    ("math/polyval_python_coeffs_f64_error", "tf.math.polyval([2.0, -1.0], tf.constant([1.0], tf.float64))"),
    ("math/polyval_empty", "tf.math.polyval([], tf.constant([1.0, 2.0]))"),
    ("math/polyval_tuple_error", "tf.math.polyval((1.0, 2.0), tf.constant(1.0))"),
    ("math/lgamma_f16", "vg(tf.math.lgamma, [0.5, 3.0], dtype=tf.float16)"),
    ("math/digamma_f32", "vg(tf.math.digamma, [0.5, 3.0, 100.0], dtype=tf.float32)"),
    ("math/erfinv_f32", "vg(tf.math.erfinv, [-0.5, 0.99], dtype=tf.float32)"),
    ("math/xlog1py_f32_bcast", "vg(tf.math.xlog1py, [[0.0], [2.0]], [0.5, -0.5, 3.0], dtype=tf.float32)"),
    ("math/reciprocal_no_nan", "vg(tf.math.reciprocal_no_nan, [0.0, 2.0, -0.5])"),
    ("math/divide_no_nan", "vg(tf.math.divide_no_nan, [1.0, 0.0, 3.0], [0.0, 0.0, 2.0])"),
    ("math/reduce_logsumexp_inf", "tf.reduce_logsumexp(tf.constant([[-np.inf, -np.inf], [np.inf, 1.0], [np.inf, -np.inf]]), axis=1)"),
    ("math/reduce_logsumexp_grad_neg_inf", "vg(lambda x: tf.reduce_logsumexp(x), [-np.inf, 0.0, 1.0])"),
    ("math/reduce_std_variance", "vg(lambda x: tf.math.reduce_std(x, axis=0) + tf.math.reduce_variance(x, axis=0), [[1.0, 2.0], [3.0, 5.0], [0.0, -1.0]])"),
    ("math/squared_difference", "vg(tf.math.squared_difference, [1.0, 2.0], [3.0, -1.0])"),
    ("math/atan2", "vg(tf.math.atan2, [1.0, -1.0, 0.5], [2.0, 0.3, -1.0])"),
    # ---- nn
    ("nn/relu6", "vg(tf.nn.relu6, [-1.0, 0.0, 3.0, 6.0, 7.0])"),
    ("nn/silu", "vg(tf.nn.silu, [-2.0, 0.0, 1.5])"),
    ("nn/swish_beta", "vg(lambda x: tf.nn.swish(x, beta=0.5), [-2.0, 0.0, 1.5])"),
    ("nn/selu", "vg(tf.nn.selu, [-2.0, 0.0, 1.5])"),
    ("nn/l2_loss", "vg(tf.nn.l2_loss, [[1.0, -2.0], [0.5, 3.0]])"),
    ("nn/l2_normalize", "vg(lambda x: tf.nn.l2_normalize(x, axis=1), [[1.0, -2.0], [0.0, 0.0]])"),
    ("nn/moments", "vg(lambda x: tf.concat(tf.nn.moments(x, axes=[0]), 0), [[1.0, -2.0], [0.5, 3.0], [2.0, 0.0]])"),
    ("nn/batch_normalization", "vg(lambda x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3), [[1.0, -2.0], [0.5, 3.0]], [0.2, 0.1], [1.5, 0.5], [0.1, -0.2], [2.0, 0.5])"),
    ("nn/log_poisson_loss", "vg(tf.nn.log_poisson_loss, [0.0, 0.5, 1.0, 3.0], [0.1, -0.5, 1.0, 2.0])"),
    ("nn/log_poisson_loss_full", "vg(lambda t, c: tf.nn.log_poisson_loss(t, c, compute_full_loss=True), [0.0, 0.5, 1.0, 3.0], [0.1, -0.5, 1.0, 2.0])"),
    ("nn/log_poisson_loss_shape_error", "tf.nn.log_poisson_loss(tf.ones([2]), tf.ones([3]))"),
    ("nn/weighted_xent", "vg(lambda z, x: tf.nn.weighted_cross_entropy_with_logits(z, x, 2.5), [0.0, 1.0, 0.3, 1.0], [-50.0, 0.0, 1.5, 60.0])"),
    ("nn/weighted_xent_shape_error", "tf.nn.weighted_cross_entropy_with_logits(tf.ones([2]), tf.ones([3]), 1.0)"),
    ("nn/embedding_lookup", "vg(lambda p: tf.nn.embedding_lookup(p, [[0, 2], [2, 1]]), [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])"),
    ("nn/embedding_lookup_max_norm", "vg(lambda p: tf.nn.embedding_lookup(p, [2, 0, 2], max_norm=2.0), [[1.0, 2.0], [0.3, 0.4], [5.0, 6.0]])"),
    ("nn/embedding_lookup_out_of_range", "tf.nn.embedding_lookup(tf.ones([3, 2]), [3])"),
    ("nn/avg_pool2d_nchw", "vg(lambda x: tf.nn.avg_pool2d(x, 2, 1, 'SAME', data_format='NCHW'), np.arange(18.0).reshape(1, 2, 3, 3))"),
    ("nn/conv1d_ncw", "vg(lambda x, w: tf.nn.conv1d(x, w, 1, 'VALID', data_format='NCW'), np.arange(10.0).reshape(1, 2, 5) / 10, np.arange(12.0).reshape(3, 2, 2) / 5 - 1)"),
    ("nn/conv1d_dilated", "vg(lambda x, w: tf.nn.conv1d(x, w, 1, 'SAME', dilations=2), np.arange(12.0).reshape(1, 6, 2) / 10, np.arange(12.0).reshape(3, 2, 2) / 5 - 1)"),
    ("nn/max_pool1d_same", "vg(lambda x: tf.nn.max_pool1d(x, 3, 2, 'SAME'), [[[1.0], [4.0], [3.0], [2.0], [0.0]]])"),
    ("nn/avg_pool_3d_input", "vg(lambda x: tf.nn.avg_pool(x, 2, 2, 'VALID'), np.arange(8.0).reshape(1, 4, 2))"),
    ("nn/batch_normalization_f32", "vg(lambda x, m, v: tf.nn.batch_normalization(x, m, v, None, None, 1e-3), [[1.0, -2.0], [0.5, 3.0]], [0.2, 0.1], [1.5, 0.5], dtype=tf.float32)"),
    ("nn/depthwise_conv2d_nchw", "vg(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], 'SAME', data_format='NCHW'), np.arange(18.0).reshape(1, 2, 3, 3) / 9, np.arange(8.0).reshape(2, 2, 2, 1) / 8 - 1)"),
    ("nn/depthwise_conv2d_stride_dilation_error", "tf.nn.depthwise_conv2d(tf.ones([1, 5, 5, 1]), tf.ones([2, 2, 1, 1]), [1, 2, 2, 1], 'VALID', dilations=[2, 2])"),
    ("nn/avg_pool2d_same", "vg(lambda x: tf.nn.avg_pool2d(x, 2, [1, 2], 'SAME'), np.arange(18.0).reshape(1, 3, 3, 2))"),
    ("nn/avg_pool2d_valid", "vg(lambda x: tf.nn.avg_pool2d(x, [2, 3], 1, 'VALID'), np.arange(24.0).reshape(1, 4, 3, 2))"),
    ("nn/avg_pool1d", "vg(lambda x: tf.nn.avg_pool1d(x, 3, 2, 'SAME'), np.arange(12.0).reshape(1, 6, 2))"),
    ("nn/avg_pool_int_error", "tf.nn.avg_pool2d(tf.ones([1, 2, 2, 1], tf.int32), 2, 2, 'VALID')"),
    ("nn/max_pool1d", "vg(lambda x: tf.nn.max_pool1d(x, 2, 2, 'VALID'), [[[1.0], [1.0], [3.0], [2.0], [0.0], [5.0]]])"),
    ("nn/conv1d_same", "vg(lambda x, w: tf.nn.conv1d(x, w, 1, 'SAME'), np.arange(10.0).reshape(1, 5, 2) / 10, np.arange(12.0).reshape(3, 2, 2) / 5 - 1)"),
    ("nn/conv1d_stride2_valid", "vg(lambda x, w: tf.nn.conv1d(x, w, 2, 'VALID'), np.arange(14.0).reshape(1, 7, 2) / 10, np.arange(8.0).reshape(2, 2, 2) / 5 - 1)"),
    ("nn/depthwise_conv2d", "vg(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], 'VALID'), np.arange(18.0).reshape(1, 3, 3, 2) / 9, np.arange(16.0).reshape(2, 2, 2, 2) / 8 - 1)"),
    ("nn/depthwise_conv2d_same_stride", "vg(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], 'SAME'), np.arange(25.0).reshape(1, 5, 5, 1) / 9, np.arange(9.0).reshape(3, 3, 1, 1) / 4 - 1)"),
    ("nn/depthwise_conv2d_dilated", "vg(lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], 'VALID', dilations=[2, 2]), np.arange(32.0).reshape(1, 4, 4, 2) / 9, np.arange(8.0).reshape(2, 2, 2, 1) / 4 - 1)"),
    ("nn/conv2d_transpose", "vg(lambda g, w: tf.nn.conv2d_transpose(g, w, [1, 4, 4, 1], 2, 'SAME'), np.arange(8.0).reshape(1, 2, 2, 2) / 4, np.arange(8.0).reshape(2, 2, 1, 2) / 4 - 1)"),
    # ---- linalg
    ("linalg/inv", "vg(tf.linalg.inv, A3)"),
    ("linalg/inv_batched_adjoint", "vg(lambda a: tf.linalg.inv(a, adjoint=True), [A3, np.eye(3) * 2])"),
    ("linalg/inv_singular", "tf.linalg.inv(tf.constant([[1.0, 2.0], [2.0, 4.0]]))"),
    ("linalg/inv_not_square", "tf.linalg.inv(tf.ones([2, 3]))"),
    ("linalg/det", "vg(tf.linalg.det, [A3, E3])"),
    ("linalg/slogdet", "vg(lambda a: tf.stack(tf.linalg.slogdet(a)), [A3, -np.asarray(E3)])"),
    ("linalg/logdet", "vg(tf.linalg.logdet, sym(A3))"),
    ("linalg/cholesky", "vg(tf.linalg.cholesky, sym(A3))"),
    ("linalg/cholesky_lower_only", "tf.linalg.cholesky(tf.constant(np.tril(sym(A3)) + np.triu(np.ones((3, 3)), 1)))"),
    ("linalg/cholesky_grad_nonsymmetric_input", "vg(tf.linalg.cholesky, np.tril(sym(A3)) + np.triu(np.ones((3, 3)), 1))"),
    ("linalg/cholesky_not_pd", "tf.linalg.cholesky(tf.constant([[1.0, 2.0], [2.0, 1.0]]))"),
    ("linalg/triangular_solve", "vg(tf.linalg.triangular_solve, A3, B32)"),
    ("linalg/triangular_solve_upper_adjoint", "vg(lambda a, b: tf.linalg.triangular_solve(a, b, lower=False, adjoint=True), A3, B32)"),
    ("linalg/triangular_solve_broadcast", "vg(tf.linalg.triangular_solve, A3, [B32, B32])"),
    ("linalg/cholesky_solve", "vg(lambda a, b: tf.linalg.cholesky_solve(tf.linalg.cholesky(a), b), sym(A3), B32)"),
    ("linalg/solve", "vg(tf.linalg.solve, A3, B32)"),
    ("linalg/solve_adjoint", "vg(lambda a, b: tf.linalg.solve(a, b, adjoint=True), A3, B32)"),
    ("linalg/solve_singular", "tf.linalg.solve(tf.constant([[1.0, 2.0], [2.0, 4.0]]), tf.ones([2, 1]))"),
    ("linalg/solve_shape_error", "tf.linalg.solve(tf.ones([3, 3]), tf.ones([2, 1]))"),
    ("linalg/lstsq_tall", "vg(tf.linalg.lstsq, R43, [[1.0], [0.0], [2.0], [-1.0]])"),
    ("linalg/lstsq_wide", "vg(tf.linalg.lstsq, np.asarray(R43).T, [[1.0], [0.0], [2.0]])"),
    ("linalg/lstsq_l2", "vg(lambda a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.5), R43, [[1.0], [0.0], [2.0], [-1.0]])"),
    ("linalg/trace", "vg(tf.linalg.trace, [A3, E3])"),
    ("linalg/diag", "vg(tf.linalg.diag, [[1.0, 2.0], [3.0, 4.0]])"),
    ("linalg/diag_k", "vg(lambda d: tf.linalg.diag(d, k=1), [1.0, 2.0])"),
    ("linalg/diag_k_rows", "vg(lambda d: tf.linalg.diag(d, k=-1, num_rows=4, num_cols=3), [1.0, 2.0, 3.0])"),
    ("linalg/diag_padding", "vg(lambda d: tf.linalg.diag(d, padding_value=9), [1.0, 2.0])"),
    ("linalg/diag_part", "vg(tf.linalg.diag_part, R43)"),
    ("linalg/diag_part_k", "vg(lambda a: tf.linalg.diag_part(a, k=-1), R43)"),
    ("linalg/set_diag", "vg(tf.linalg.set_diag, A3, [7.0, 8.0, 9.0])"),
    ("linalg/set_diag_shape_error", "tf.linalg.set_diag(tf.ones([3, 3]), tf.ones([2]))"),
    ("linalg/band_part", "vg(lambda a: tf.linalg.band_part(a, 1, 0), R43)"),
    ("linalg/band_part_error", "tf.linalg.band_part(tf.ones([3, 3]), 4, 0)"),
    ("linalg/matrix_transpose", "vg(tf.linalg.matrix_transpose, [R43, R43])"),
    ("linalg/matrix_transpose_rank1", "tf.linalg.matrix_transpose(tf.ones([3]))"),
    ("linalg/adjoint", "vg(tf.linalg.adjoint, R43)"),
    ("linalg/eigvalsh", "vg(tf.linalg.eigvalsh, E3)"),
    ("linalg/eigh_values_and_vectors", "vg(lambda a: tf.linalg.eigh(a)[0] + tf.reduce_sum(tf.linalg.eigh(a)[1] ** 2 * tf.constant([[1.0], [2.0], [3.0]], tf.float64), 0), E3)"),
    ("linalg/eigh_reads_lower", "vg(tf.linalg.eigvalsh, np.tril(E3) + np.triu(np.full((3, 3), 5.0), 1))"),
    ("linalg/eigh_degenerate", "vg(lambda a: tf.reduce_sum(tf.linalg.eigh(a)[1][:, :2] ** 2 * tf.constant([[1.0], [2.0], [3.0]], tf.float64), 1) + tf.linalg.eigh(a)[0], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])"),
    ("linalg/svd_values", "vg(lambda a: tf.linalg.svd(a, compute_uv=False), R43)"),
    ("linalg/svd_reconstruct", "vg(lambda a: (lambda s, u, v: tf.matmul(u * s, v, transpose_b=True))(*tf.linalg.svd(a)), R43)"),
    ("linalg/svd_vectors_squared", "vg(lambda a: (lambda s, u, v: tf.concat([tf.reshape(u ** 2, [-1]), tf.reshape(v ** 2, [-1])], 0))(*tf.linalg.svd(a)), R43)"),
    ("linalg/svd_wide_vectors_squared", "vg(lambda a: (lambda s, u, v: tf.concat([s, tf.reshape(u ** 2, [-1]), tf.reshape(v ** 2, [-1])], 0))(*tf.linalg.svd(a)), np.asarray(R43).T)"),
    ("linalg/svd_full_matrices_values", "vg(lambda a: tf.linalg.svd(a, full_matrices=True)[0], R43)"),
    ("linalg/qr", "vg(lambda a: tf.concat([tf.reshape(t, [-1]) for t in tf.linalg.qr(a)], 0), R43)"),
    ("linalg/qr_wide", "vg(lambda a: tf.concat([tf.reshape(t, [-1]) for t in tf.linalg.qr(a)], 0), np.asarray(R43).T)"),
    ("linalg/qr_square", "vg(lambda a: tf.concat([tf.reshape(t, [-1]) for t in tf.linalg.qr(a)], 0), A3)"),
    ("linalg/pinv", "vg(tf.linalg.pinv, R43)"),
    ("linalg/pinv_rank_deficient", "tf.linalg.pinv(tf.constant([[1.0, 2.0], [2.0, 4.0]], tf.float64))"),
    ("linalg/expm_small", "vg(tf.linalg.expm, np.asarray(A3) * 0.01)"),
    ("linalg/expm", "vg(tf.linalg.expm, A3)"),
    ("linalg/expm_large", "vg(tf.linalg.expm, np.asarray(E3) * 3)"),
    ("linalg/expm_f32", "vg(tf.linalg.expm, np.asarray(E3) * 3, dtype=tf.float32)"),
    ("linalg/svd_degenerate_reconstruct", "vg(lambda a: (lambda s, u, v: tf.matmul(u * s, v, transpose_b=True))(*tf.linalg.svd(a)), np.eye(3))"),
    ("linalg/svd_degenerate_values", "vg(lambda a: tf.linalg.svd(a, compute_uv=False), [[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]])"),
    ("linalg/det_singular_grad", "vg(tf.linalg.det, [[1.0, 2.0], [2.0, 4.0]])"),
    ("linalg/inv_empty", "tf.linalg.inv(tf.zeros([2, 0, 0]))"),
    ("linalg/det_empty", "tf.linalg.det(tf.zeros([2, 0, 0]))"),
    ("linalg/slogdet_empty", "tf.stack(tf.linalg.slogdet(tf.zeros([2, 0, 0])))"),
    ("linalg/cholesky_empty", "tf.linalg.cholesky(tf.zeros([0, 0]))"),
    ("linalg/solve_empty_rhs", "tf.linalg.solve(tf.eye(2), tf.zeros([2, 0]))"),
    ("linalg/eigh_empty", "tf.linalg.eigh(tf.zeros([0, 0]))[0]"),
    ("linalg/svd_empty", "tf.shape(tf.linalg.svd(tf.zeros([3, 0]))[1])"),
    ("linalg/qr_empty", "tf.shape(tf.linalg.qr(tf.zeros([3, 0]))[0])"),
    ("linalg/expm_empty", "tf.linalg.expm(tf.zeros([0, 0]))"),
    ("linalg/expm_inf", "tf.linalg.expm(tf.constant([[np.inf, 0.0], [0.0, 1.0]]))"),
    ("linalg/trace_rank1_error", "tf.linalg.trace(tf.ones([3]))"),
    ("linalg/diag_part_rank1_error", "tf.linalg.diag_part(tf.ones([3]))"),
    ("linalg/triangular_solve_singular", "tf.linalg.triangular_solve(tf.constant([[1.0, 0.0], [2.0, 0.0]]), tf.ones([2, 1]))"),
    ("linalg/lstsq_rows_error", "tf.linalg.lstsq(tf.ones([3, 2]), tf.ones([2, 1]))"),
    ("linalg/pinv_batched", "vg(tf.linalg.pinv, [R43, np.asarray(R43) * 2])"),
    ("linalg/eigh_batched", "vg(tf.linalg.eigvalsh, [E3, sym(A3)])"),
    ("linalg/logdet_batched", "vg(tf.linalg.logdet, [sym(A3), np.asarray(E3)])"),
    ("linalg/norm_ord_variants", "vg(lambda a: tf.stack([tf.norm(a, ord=o, axis=[0, 1]) for o in ('fro', 1, 2, np.inf)]), R43)"),
    ("linalg/global_norm", "vg(lambda a, b: tf.linalg.global_norm([a, b]), [1.0, 2.0], [[3.0]])"),
    ("linalg/matvec", "vg(tf.linalg.matvec, R43, [1.0, -1.0, 2.0])"),
    ("linalg/tensordot", "vg(lambda a, b: tf.tensordot(a, b, [[1], [0]]), R43, A3)"),
    # ---- random: interface (shapes, dtypes, errors), never values
    ("random/random_categorical_shape", "tf.shape(tf.random.categorical(tf.math.log([[0.5, 0.5], [0.1, 0.9]]), 3))"),
    ("random/random_categorical_dtype", "tf.random.categorical(tf.math.log([[0.5, 0.5]]), 3, dtype=tf.int32).dtype.name"),
    ("random/random_categorical_rank_error", "tf.random.categorical(tf.constant([0.0, 1.0]), 2)"),
    ("random/random_gamma_shape", "tf.shape(tf.random.gamma([4], alpha=[1.0, 2.0], beta=[[1.0], [2.0], [3.0]]))"),
    ("random/random_gamma_grad", "rgg([0.5, 2.0, 5.0, 30.0, 0.05], [0.3, 1.5, 7.0, 25.0, 1e-3])"),
    ("random/random_gamma_grad_f32", "rgg([0.5, 2.0, 5.0], [0.3, 1.5, 7.0], tf.float32)"),
    ("random/random_poisson_shape", "tf.shape(tf.random.poisson([4, 1], lam=[1.0, 2.0]))"),
    ("random/random_poisson_dtype", "tf.random.poisson([2], 3.0, dtype=tf.int64).dtype.name"),
    ("random/stateless_normal_seed_shape_error", "tf.random.stateless_normal([2], seed=[1, 2, 3])"),
    ("random/stateless_uniform_int_needs_maxval", "tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int32)"),
    ("random/generator_uniform_int_needs_maxval", "tf.random.Generator.from_seed(1).uniform([2], dtype=tf.int32)"),
    ("random/generator_make_seeds_shape", "tf.shape(tf.random.Generator.from_seed(1).make_seeds(3))"),
    ("random/generator_make_seeds_dtype", "tf.random.Generator.from_seed(1).make_seeds(3).dtype.name"),
    ("random/generator_split_count", "len(tf.random.Generator.from_seed(1).split(3))"),
    ("random/generator_binomial_dtype", "tf.random.Generator.from_seed(1).binomial([2], 5.0, 0.5).dtype.name"),
]

# ---- dtype tables: which dtypes each op takes (TF 2.21), cases dtype/<op>/<dtype>
DTYPE_OPS = {
    "math.lgamma": "tf.math.lgamma(tf.constant([1, 2], tf.{d}))",
    "math.digamma": "tf.math.digamma(tf.constant([1, 2], tf.{d}))",
    "math.erfc": "tf.math.erfc(tf.constant([1, 2], tf.{d}))",
    "math.erfinv": "tf.math.erfinv(tf.constant([0, 0], tf.{d}))",
    "math.xlog1py": "tf.math.xlog1py(tf.constant([1, 2], tf.{d}), tf.constant([1, 2], tf.{d}))",
    "math.log_sigmoid": "tf.math.log_sigmoid(tf.constant([1, 2], tf.{d}))",
    "linalg.inv": "tf.linalg.inv(tf.constant([[2, 0], [0, 2]], tf.{d}))",
    "linalg.det": "tf.linalg.det(tf.constant([[2, 0], [0, 2]], tf.{d}))",
    "linalg.slogdet": "tf.linalg.slogdet(tf.constant([[2, 0], [0, 2]], tf.{d}))[1]",
    "linalg.cholesky": "tf.linalg.cholesky(tf.constant([[2, 0], [0, 2]], tf.{d}))",
    "linalg.solve": "tf.linalg.solve(tf.constant([[2, 0], [0, 2]], tf.{d}), tf.constant([[1], [1]], tf.{d}))",
    "linalg.triangular_solve": "tf.linalg.triangular_solve(tf.constant([[2, 0], [0, 2]], tf.{d}), tf.constant([[1], [1]], tf.{d}))",
    "linalg.eigh": "tf.linalg.eigh(tf.constant([[2, 0], [0, 2]], tf.{d}))[0]",
    "linalg.svd": "tf.linalg.svd(tf.constant([[2, 0], [0, 2]], tf.{d}), compute_uv=False)",
    "linalg.qr": "tf.linalg.qr(tf.constant([[2, 0], [0, 2]], tf.{d}))[1]",
    "linalg.expm": "tf.linalg.expm(tf.constant([[0, 0], [0, 0]], tf.{d}))",
    "nn.avg_pool2d": "tf.nn.avg_pool2d(tf.ones([1, 2, 2, 1], tf.{d}), 2, 2, 'VALID')",
    "nn.depthwise_conv2d": "tf.nn.depthwise_conv2d(tf.ones([1, 2, 2, 1], tf.{d}), tf.ones([1, 1, 1, 1], tf.{d}), [1, 1, 1, 1], 'VALID')",
}
DTYPES = ("float16", "float32", "float64", "int32", "int64")
for _op, _code in DTYPE_OPS.items():
    for _d in DTYPES:
        CASES.append((f"dtype/{_op}/{_d}", _code.format(d=_d)))
