# GPU worker / API / beat / Flower image for newsum.
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HOME=/models/hf

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11 python3.11-venv python3-pip curl \
 && rm -rf /var/lib/apt/lists/* \
 && python3.11 -m venv /opt/newsum
ENV PATH=/opt/newsum/bin:$PATH

WORKDIR /app
COPY pyproject.toml README.md ./
COPY newsum ./newsum
# The CUDA build of torch comes with the default index inside the image.
RUN pip install --upgrade pip && pip install .

RUN useradd --create-home --uid 1000 newsum && mkdir -p /models /data \
 && chown newsum /models /data
USER newsum
VOLUME ["/models", "/data"]
ENTRYPOINT ["newsum"]
CMD ["--help"]
