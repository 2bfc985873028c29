# The SimpleRNN Zoo demo as a Hugging Face Docker Space (https://huggingface.co/docs/hub/spaces-sdks-docker).
# The Space builds it from the files `python -m training.deploy` uploads; `docker build .` in a clone works too.
FROM python:3.11-slim

# Spaces run the container as uid 1000. Its HOME holds the Hugging Face cache the zoo is fetched into.
RUN useradd --create-home --uid 1000 user
ENV HOME=/home/user \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The app lives outside HOME and belongs to root: uid 1000 can read and run it, not change, move or add to it.
WORKDIR /app

# What the app needs, pinned (not the dev requirements), in a layer of its own: a code change does not reinstall it.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN chmod -R a-w,a+rX /app
# From here on the Space's user: the only place it writes is its HOME (the Hugging Face cache below).
USER user

# The zoo to serve: the Space variable ZOO_SOURCE, which Docker Spaces pass to the build as a build argument.
# `training.deploy` sets it to hf://OWNER/NAME@COMMIT, or to the bundled zoo. It stays in the image's environment.
ARG ZOO_SOURCE=bundled_zoo
ENV ZOO_SOURCE=${ZOO_SOURCE}
# Fetch that zoo now, with the app's own code, into the standard Hugging Face cache ($HOME/.cache/huggingface/hub),
# and check every variant (complete, checksums, loads, answers a text): a zoo that cannot be served fails the build.
# A private zoo repo needs a Space secret HF_TOKEN, mounted for this step only.
RUN --mount=type=secret,id=HF_TOKEN,mode=0444,required=false \
    HF_TOKEN="$(cat /run/secrets/HF_TOKEN 2>/dev/null || true)" python -m zoo verify --zoo "$ZOO_SOURCE"

# From here on nothing is downloaded: the app serves the zoo cached above, whether the Hub answers or not.
# The app is public by default (no ZOO_ADMIN here): visitors cannot change the zoo, clear the caches or read server paths.
ENV HF_HUB_OFFLINE=1 \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=7860
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"STREAMLIT_SERVER_PORT\"]}/_stcore/health', timeout=4)"
CMD ["streamlit", "run", "streamlit_app.py"]
