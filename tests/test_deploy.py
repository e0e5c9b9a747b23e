"""The Dockerfile, docker-compose.yml and the deployment docs, checked statically (no Docker engine runs here).

What would only fail at `docker build` or `docker compose up` time is caught here: names of settings
that do not exist, a health check on a route the service lacks, a model file the image never builds.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.api import health_router
from assistant.config import Settings
from assistant.models.provision import BUNDLED_MODELS

REPO = Path(__file__).resolve().parents[1]
SETTING_NAMES = {f"ASSISTANT_{name.upper()}" for name in Settings.model_fields}
# ${NAME}, ${NAME:-default}, ${NAME:?message} in compose files.
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::?(?P<op>[-?])(?P<arg>[^}]*))?\}")
ASSISTANT_NAME = re.compile(r"\bASSISTANT_[A-Z0-9_]*[A-Z0-9]\b")  # not ASSISTANT_EVIDENCE_* (a family)


@dataclass
class Instruction:
    keyword: str
    args: str


def dockerfile() -> list[Instruction]:
    """Instructions of the Dockerfile, continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, args = pending.strip().partition(" ")
            instructions.append(Instruction(keyword.upper(), args.strip()))
            pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    return dict(ins.args.split("=", 1) for ins in instructions if ins.keyword == "ARG" and "=" in ins.args)


def env_of(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in stage:
        if ins.keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(ins.args))
    return env


def resolve(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m[1] or m[2], m[0]), text)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def interpolated(value: str, env: dict[str, str]) -> str:
    """A compose value as `docker compose` would read it with ``env`` as the .env file."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if env.get(name):
            return env[name]
        assert op != "?", f"${{{name}}} is required, and .env.example does not set it"
        return (arg or "") if op == "-" else ""

    return INTERPOLATION.sub(one, value)


def test_every_assistant_variable_named_anywhere_is_a_setting(env_example: dict[str, str]) -> None:
    places = ["Dockerfile", "docker-compose.yml", ".env.example", "docs/deploy.md", "README.md"]
    for place in places:
        used = set(ASSISTANT_NAME.findall((REPO / place).read_text(encoding="utf-8")))
        assert used, place
        assert used <= SETTING_NAMES, f"{place} names variables Settings does not have: {used - SETTING_NAMES}"


def test_compose_runs_the_assistant_against_a_qdrant_server_with_a_key(
    compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    services = compose["services"]
    assert {"qdrant", "assistant", "llm"} <= set(services)
    qdrant, assistant = services["qdrant"], services["assistant"]

    # Qdrant keeps its data in declared named volumes and demands the key the assistant sends.
    mounts = dict(volume.split(":", 1) for volume in qdrant["volumes"])
    assert mounts.get("qdrant-storage") == "/qdrant/storage"
    assert set(mounts) <= set(compose["volumes"])
    key = qdrant["environment"]["QDRANT__SERVICE__API_KEY"]
    assert INTERPOLATION.fullmatch(key)["op"] == "?", "Qdrant must not start without an API key"
    env = assistant["environment"]
    assert INTERPOLATION.fullmatch(env["ASSISTANT_QDRANT_API_KEY"])["name"] == INTERPOLATION.fullmatch(key)["name"]
    assert env["ASSISTANT_QDRANT_URL"] == "http://qdrant:6333"
    assert "6333" in [str(port) for port in qdrant["expose"]] and "ports" not in qdrant, "Qdrant stays internal"
    assert assistant["depends_on"]["qdrant"]["condition"] == "service_healthy"

    # The assistant's environment, as compose resolves it from .env.example, is valid configuration.
    resolved = {name: interpolated(str(value), env_example) for name, value in env.items()}
    settings = Settings(**{name.removeprefix("ASSISTANT_").lower(): v for name, v in resolved.items() if v != ""})
    assert settings.qdrant_url == "http://qdrant:6333" and settings.qdrant_api_key == env_example["QDRANT_API_KEY"]
    assert settings.llm_backend == "llama-cpp"


def test_replicas_share_the_one_folder_the_service_writes_outside_qdrant(compose: dict[str, Any]) -> None:
    from assistant.drafting.store import DraftStore

    data_dir = env_of(stages(dockerfile())[-1])["ASSISTANT_DATA_DIR"]
    mounts = dict(volume.split(":", 1) for volume in compose["services"]["assistant"]["volumes"])
    assert set(mounts.values()) == {str(DraftStore(Path(data_dir)).root)}
    assert set(mounts) <= set(compose["volumes"])  # named volumes: created with the image folder's owner
    assert any('mkdir -p "${ASSISTANT_DATA_DIR}/drafts"' in ins.args for ins in dockerfile() if ins.keyword == "RUN")


def test_the_model_server_profile_serves_the_model_the_assistant_names(
    compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    from llama_cpp.server.settings import Settings as LlamaServerSettings

    llm, assistant = compose["services"]["llm"], compose["services"]["assistant"]
    assert llm["profiles"] == ["llm-server"]
    assert "profiles" not in assistant and "profiles" not in compose["services"]["qdrant"]
    command = [interpolated(str(part), env_example) for part in llm["command"]]
    assert command[:3] == ["python", "-m", "llama_cpp.server"]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert {option.removeprefix("--") for option in options} <= set(LlamaServerSettings.model_fields)

    # The model file is the one the image provisions, under the name the assistant asks for.
    model = env_example["ASSISTANT_LLM_MODEL"]
    data_dir = env_of(stages(dockerfile())[-1])["ASSISTANT_DATA_DIR"]
    assert options["--model"] == f"{data_dir}/models/{BUNDLED_MODELS[model].filename}"
    assert options["--model_alias"] == model
    base_url = assistant["environment"]["ASSISTANT_LLM_BASE_URL"]
    assert base_url == f"http://llm:{options['--port']}/v1"
    assert options["--port"] in [str(port) for port in llm["expose"]]
    backend = INTERPOLATION.fullmatch(assistant["environment"]["ASSISTANT_LLM_BACKEND"])
    assert backend["arg"] == "llama-cpp" and "openai" in (REPO / ".env.example").read_text(encoding="utf-8")


def test_every_service_has_a_health_check_on_a_real_endpoint(compose: dict[str, Any]) -> None:
    routes = {route.path for route in health_router.router.routes}
    for name, service in compose["services"].items():
        check = service["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and check["retries"] >= 1, name
    assistant_check = " ".join(compose["services"]["assistant"]["healthcheck"]["test"])
    path = re.search(r"127\.0\.0\.1:8000(/\w+)", assistant_check)[1]
    assert path in routes
    assert "/v1/models" in " ".join(compose["services"]["llm"]["healthcheck"]["test"])


def test_dockerfile_builds_a_non_root_cpu_image_with_the_model_inside() -> None:
    instructions = dockerfile()
    args = arg_defaults(instructions)
    build, runtime = stages(instructions)
    assert resolve(build[0].args, args).startswith("python:3.11-slim")
    assert resolve(runtime[0].args, args) == "python:3.11-slim"

    # torch comes first, pinned as in pyproject.toml, before the package and its extras.
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    runs = [ins.args for ins in build if ins.keyword == "RUN"]
    torch_pin = next(dep for dep in pyproject["project"]["dependencies"] if dep.startswith("torch=="))
    torch_run = next(i for i, run in enumerate(runs) if f"pip install {torch_pin}" in run)
    package_run = next(i for i, run in enumerate(runs) if 'pip install ".[' in run)
    assert torch_run < package_run
    extras = re.search(r'pip install "\.\[([^\]]+)\]"', runs[package_run])[1]
    extras_known = set(pyproject["project"]["optional-dependencies"])
    assert {resolve(extra, args) for extra in extras.split(",")} <= extras_known

    # The model built in is a bundled one, assembled from the part packages of the extra installed.
    model = args["MODEL"]
    assert model in BUNDLED_MODELS
    parts = pyproject["project"]["optional-dependencies"][args["MODEL_EXTRA"]]
    assert {p.split("==")[0] for p in parts} == set(BUNDLED_MODELS[model].parts)
    assert any('assistant models provision --only "${MODEL}"' in run for run in runs)

    env = env_of(runtime)
    assert set(env) & SETTING_NAMES == {name for name in env if name.startswith("ASSISTANT_")}
    assert env["ASSISTANT_LLM_MODEL"] == "${MODEL}" and env["ASSISTANT_API_HOST"] == "0.0.0.0"

    users = [ins.args for ins in runtime if ins.keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the service must not run as root"
    assert any(f"--uid 10001 --user-group --home-dir {env['ASSISTANT_DATA_DIR']}" in ins.args for ins in runtime)

    healthcheck = next(ins.args for ins in runtime if ins.keyword == "HEALTHCHECK")
    assert "CMD python -c" in healthcheck and "/readyz" in healthcheck
    assert "/readyz" in {route.path for route in health_router.router.routes}
    expose = next(ins.args for ins in runtime if ins.keyword == "EXPOSE")
    assert expose == env["ASSISTANT_API_PORT"]
    assert next(ins.args for ins in reversed(runtime) if ins.keyword == "CMD") == '["assistant", "serve"]'


def test_the_image_gets_what_it_copies_and_nothing_secret() -> None:
    ignored = [
        line.strip() for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    ignored = [line for line in ignored if not line.startswith("#")]
    for secret in (".env", ".git", ".venv", "data", "*.gguf"):
        assert secret in ignored
    for ins in dockerfile():
        if ins.keyword == "COPY" and "--from=" not in ins.args:
            *sources, _ = [part for part in ins.args.split() if not part.startswith("--")]
            for source in sources:
                assert (REPO / source).exists(), source
                assert source not in ignored, f"{source} is copied but .dockerignore leaves it out"
