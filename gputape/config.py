"""``gputape.config`` (TensorFlow 2.21's ``tf.config``, the parts everyday programs call) and ``gputape.device``.

    gputape.config.list_physical_devices("GPU")    # the CuPy devices; [] on the NumPy backend
    with gputape.device("/GPU:1"):                  # new tensors on CUDA device 1 (CuPy backend)
        x = gputape.ones([3])
"""
import collections
import re

from . import backend as _b

__all__ = ["PhysicalDevice", "LogicalDevice", "list_physical_devices", "list_logical_devices",
           "run_functions_eagerly", "functions_run_eagerly", "experimental"]

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])


def _devices(device_type, prefix, cls):
    out = [cls(f"/{prefix}:CPU:0", "CPU")]
    out += [cls(f"/{prefix}:GPU:{i}", "GPU") for i in range(_b.gpu_count())]
    if device_type is None:
        return out
    if not isinstance(device_type, str):
        raise TypeError(f"list_physical_devices: device_type must be a string such as 'GPU', got {device_type!r}")
    return [d for d in out if d.device_type == device_type]


def list_physical_devices(device_type=None):
    """The devices gputape computes on, as TF 2.21's ``tf.config.list_physical_devices``: the CPU, and on the
    CuPy backend one ``PhysicalDevice('/physical_device:GPU:i', 'GPU')`` per CUDA device CuPy sees (none on
    the NumPy backend, which never uses a GPU).  ``device_type`` is matched exactly ('GPU', 'CPU'; another
    string gives [], as TF)."""
    return _devices(device_type, "physical_device", PhysicalDevice)


def list_logical_devices(device_type=None):
    """As ``list_physical_devices``, with TF's logical names ('/device:GPU:0')."""
    return _devices(device_type, "device", LogicalDevice)


_run_eagerly = [False]


def run_functions_eagerly(run_eagerly):
    """TF 2.21's switch for ``tf.function``.  ``gputape.function`` always runs its Python body eagerly, so
    the switch changes nothing but what ``functions_run_eagerly()`` reports."""
    _run_eagerly[0] = bool(run_eagerly)


def functions_run_eagerly():
    """The value last given to ``run_functions_eagerly`` (False at first, as TF)."""
    return _run_eagerly[0]


class _Experimental:
    """``tf.config.experimental``: memory growth (CuPy's memory pool always grows on demand)."""

    @staticmethod
    def set_memory_growth(device, enable):
        """Accepted with ``enable=True``, what CuPy's pool does anyway; ``False`` (TF's reserve-everything
        default) is NotImplementedError."""
        if not isinstance(device, PhysicalDevice):
            raise ValueError(f"Unrecognized device: {device!r}")
        if not enable:
            raise NotImplementedError("set_memory_growth(device, False): gputape's CuPy memory pool always grows "
                                      "on demand; reserving all device memory up front is not implemented")

    @staticmethod
    def get_memory_growth(device):
        """True: CuPy's memory pool grows on demand."""
        if not isinstance(device, PhysicalDevice):
            raise ValueError(f"Unrecognized device: {device!r}")
        return True

    list_physical_devices = staticmethod(list_physical_devices)
    list_logical_devices = staticmethod(list_logical_devices)


experimental = _Experimental()

# ---------------------------------------------------------------- tf.device

_PART = re.compile(r"^(job|replica|task|device)$|^(cpu|gpu)$", re.I)


def _parse(spec):
    """(device_type, index) of a TF device string ('/GPU:1', 'cpu:0', '/job:localhost/.../device:GPU:0');
    (None, None) for '' (no constraint).  TF's ValueError for an unknown part."""
    kind, index = None, None
    for part in [p for p in spec.split("/") if p]:
        bits = part.split(":")
        key = bits[0].lower()
        if key in ("job", "replica", "task") and len(bits) == 2:
            continue
        if key == "device" and len(bits) == 3:
            bits = bits[1:]
            key = bits[0].lower()
        if key in ("cpu", "gpu") and len(bits) in (1, 2):
            kind = key.upper()
            index = 0 if len(bits) == 1 or bits[1] == "*" else _index(bits[1], spec)
            continue
        raise ValueError(f"Unknown attribute '{bits[0]}' is encountered while parsing the device spec: '{spec}'.")
    return kind, index


def _index(s, spec):
    if not s.isdigit():
        raise ValueError(f"Unknown attribute '{s}' is encountered while parsing the device spec: '{spec}'.")
    return int(s)


class device:  # noqa: N801  (tf.device)
    """``with gputape.device('/GPU:0'):`` places the block's new tensors on that CUDA device on the CuPy
    backend (CuPy's current device, as TF's placement of the ops in the block).  Only the device gputape
    computes on (the current one, GPU 0 unless ``CUDA_VISIBLE_DEVICES`` says otherwise) can be named:
    another GPU is NotImplementedError (gputape's cached constants live on one device), one CuPy does not
    have ValueError (TF would fall back silently).  On the NumPy backend, and for CPU devices on the CuPy
    backend, it does nothing (gputape's arrays are where its backend keeps them; the numbers are the same).
    A device string TF cannot parse is ValueError with TF's message; ``None`` or '' is no constraint."""

    def __init__(self, device_name):
        if device_name is not None and not isinstance(device_name, str):
            raise ValueError(f"Expecting a string device name. Got {type(device_name)}({device_name})")
        self.name = device_name
        kind, index = _parse(device_name or "")
        self._scope = None
        if kind == "GPU" and _b.gpu_count():
            if index >= _b.gpu_count():
                raise ValueError(f"device '{device_name}': there is no GPU {index}; gputape sees "
                                 f"{_b.gpu_count()} CUDA device(s)")
            if index != _b.current_device():
                # the backend's cached constant tensors (Python numbers in ops) live on the device the backend
                # started on: ops on another device's arrays would mix devices
                raise NotImplementedError(f"device '{device_name}': gputape computes on GPU {_b.current_device()}; "
                                          f"placing tensors on another GPU is not implemented (make it current "
                                          f"with CUDA_VISIBLE_DEVICES={index} before starting Python)")
            self._scope = _b.device_scope(index)

    def __enter__(self):
        if self._scope is not None:
            self._scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._scope is not None:
            return self._scope.__exit__(*exc)
        return False
