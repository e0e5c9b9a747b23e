"""Which of a GGUF model's weights go into llama.cpp's repacked CPU buffers, without its AMX buffers.

llama.cpp can copy weights into layouts its CPU kernels read faster ("extra buffer types"). Its one
switch, ``use_extra_bufts``, turns on every such type at once, AMX among them, and the AMX matrix
multiplication crashed with a segmentation fault on this project's machines (ggml-org/llama.cpp#20824).
The repacking buffer alone (``CPU_REPACK``) works, and can be asked for tensor by tensor through
``tensor_buft_overrides``. Only weight types it knows how to repack may be sent there: for another type
llama.cpp 0.3.36 crashes while loading, so the file's tensor types are read first.

Measured on 2 cores (docs/benchmarks.md): with the Q4_K weights repacked one decoding step takes 72 ms
instead of 82 and a batch of 5 tokens 146 ms instead of 205, but prompts are read at 91 tokens/s
instead of 125. Hence the product reads prompts on the plain weights and decodes on the repacked ones.
"""

from __future__ import annotations

import ctypes
import re
import struct
from pathlib import Path
from typing import BinaryIO

# ggml_type numbers of the weight types llama.cpp's CPU_REPACK buffer repacks on x86 (Q4_0, Q4_K, IQ4_NL).
REPACKABLE_TYPES = frozenset({2, 12, 20})
_GGML_BACKEND_DEVICE_TYPE_CPU = 0
# Sizes of GGUF metadata value types that have a fixed size (gguf.h's enum gguf_type).
_FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9


class TensorOverride(ctypes.Structure):
    """llama.h's ``struct llama_model_tensor_buft_override``: tensors whose name matches go to ``buft``."""

    _fields_ = [("pattern", ctypes.c_char_p), ("buft", ctypes.c_void_p)]


def gguf_tensor_types(path: Path) -> dict[str, int]:
    """Each tensor's ggml type number, read from the GGUF header (the tensor data is not read)."""
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        try:
            _u32(f)  # version
            tensors, pairs = _u64(f), _u64(f)
            for _ in range(pairs):
                _string(f)
                _skip_value(f, _u32(f))
            types = {}
            for _ in range(tensors):
                name = _string(f)
                dims = _u32(f)
                f.seek(8 * dims, 1)
                types[name] = _u32(f)
                _u64(f)  # offset
        except (struct.error, KeyError) as e:  # cut short, or a metadata type this reader does not know
            raise ValueError(f"{path}: unreadable GGUF header ({e})") from e
        return types


def repacked_weights(path: Path) -> list[str]:
    """Names of the matrix weights that the CPU_REPACK buffer can hold (the token embedding is a lookup)."""
    return [
        name
        for name, kind in gguf_tensor_types(path).items()
        if kind in REPACKABLE_TYPES and name.endswith(".weight") and name != "token_embd.weight"
    ]


def repack_overrides(names: list[str]) -> ctypes.Array[TensorOverride]:
    """A NULL-terminated override list sending ``names`` to the CPU_REPACK buffer type.

    llama.cpp reads the pattern while loading, so the array (which holds the pattern's bytes) must
    outlive the load.
    """
    overrides = (TensorOverride * 2)()
    overrides[0].pattern = ("^(" + "|".join(re.escape(n) for n in names) + ")$").encode()
    overrides[0].buft = _repack_buffer_type()
    return overrides


def _repack_buffer_type() -> int:
    """The CPU device's ``CPU_REPACK`` buffer type, found through ggml's backend registry."""
    import llama_cpp
    from llama_cpp import llama_cpp as low_level

    low_level.llama_backend_init()
    lib = Path(llama_cpp.__file__).parent / "lib"
    ggml, base = ctypes.CDLL(str(lib / "libggml.so")), ctypes.CDLL(str(lib / "libggml-base.so"))
    ggml.ggml_backend_dev_by_type.restype = ctypes.c_void_p
    ggml.ggml_backend_dev_by_type.argtypes = [ctypes.c_int]
    base.ggml_backend_dev_backend_reg.restype = ctypes.c_void_p
    base.ggml_backend_dev_backend_reg.argtypes = [ctypes.c_void_p]
    base.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
    base.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    base.ggml_backend_buft_name.restype = ctypes.c_char_p
    base.ggml_backend_buft_name.argtypes = [ctypes.c_void_p]
    device = ggml.ggml_backend_dev_by_type(_GGML_BACKEND_DEVICE_TYPE_CPU)
    if device is None:
        raise RuntimeError("this llama.cpp build has no CPU device")
    address = base.ggml_backend_reg_get_proc_address(
        base.ggml_backend_dev_backend_reg(device), b"ggml_backend_dev_get_extra_bufts"
    )
    if address is None:
        raise RuntimeError("this llama.cpp build has no CPU extra buffer types")
    extra = ctypes.CFUNCTYPE(ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p)(address)(device)
    i = 0
    while extra[i]:
        if base.ggml_backend_buft_name(extra[i]) == b"CPU_REPACK":
            return extra[i]
        i += 1
    raise RuntimeError("this llama.cpp build has no CPU_REPACK buffer type (built without GGML_CPU_REPACK)")


def _u32(f: BinaryIO) -> int:
    return struct.unpack("<I", f.read(4))[0]


def _u64(f: BinaryIO) -> int:
    return struct.unpack("<Q", f.read(8))[0]


def _string(f: BinaryIO) -> str:
    return f.read(_u64(f)).decode("utf-8", errors="replace")


def _skip_value(f: BinaryIO, kind: int) -> None:
    if kind == _STRING:
        f.seek(_u64(f), 1)
    elif kind == _ARRAY:
        item, count = _u32(f), _u64(f)
        if item in _FIXED_SIZES:
            f.seek(_FIXED_SIZES[item] * count, 1)
        else:
            for _ in range(count):
                _skip_value(f, item)
    else:
        f.seek(_FIXED_SIZES[kind], 1)
