# TRG-NAS notebooks on an NVIDIA GPU: Go, this project, Jupyter with the
# GoNB kernel (scripts/setup-notebooks.sh) and the PJRT CUDA plugin of
# GoMLX's XLA backend, installed at build time (scripts/pjrt-cuda, which calls
# go-xla v0.4.1's installer.CudaInstall). The notebook server runs as a
# non-root user on port 8888 in notebooks/.
#
#   docker build -t trgnas .
#   docker run --rm --gpus all -p 8888:8888 trgnas
#
# The plugin brings its own CUDA libraries; the host needs an NVIDIA driver
# for CUDA 13 (or build with PJRT_PLUGIN=cuda12 and a CUDA 12 base image).
# PJRT_VERSION is the jax-<plugin>-pjrt release on PyPI; pin it to the one
# you tested (go-xla v0.4.1 speaks PJRT C API 0.104).
ARG BASE=nvidia/cuda:13.0.1-runtime-ubuntu24.04
FROM ${BASE}

ARG GO_VERSION=1.26.8
ARG PJRT_PLUGIN=cuda13
ARG PJRT_VERSION=latest
ENV DEBIAN_FRONTEND=noninteractive PATH=/usr/local/go/bin:$PATH

# gcc: GoMLX's XLA backend is built with cgo.
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates curl git gcc libc6-dev \
	&& curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz" | tar -C /usr/local -xz \
	&& useradd --create-home --shell /bin/bash trgnas

COPY --chown=trgnas:trgnas . /home/trgnas/trgnas
WORKDIR /home/trgnas/trgnas

# As root: Jupyter from the distribution, and the plugin into
# /usr/local/lib/go-xla/nvidia, where GoMLX's XLA backend looks.
RUN bash scripts/setup-notebooks.sh --apt-only \
	&& go run ./scripts/pjrt-cuda -plugin "${PJRT_PLUGIN}" -version "${PJRT_VERSION}" -dir /usr/local/lib \
	&& rm -rf /var/lib/apt/lists/* /root/.cache /root/go

# As the user: goimports, gopls, GoNB and the kernel (checked by running a
# one-cell notebook), and the command-line tool for headless searches.
USER trgnas
ENV PATH=/home/trgnas/go/bin:$PATH \
	GOMLX_BACKEND=xla:cuda \
	XLA_FLAGS=--xla_gpu_cuda_data_dir=/usr/local/lib/go-xla/nvidia
RUN bash scripts/setup-notebooks.sh \
	&& go build -o /home/trgnas/go/bin/trgnas ./cmd/trgnas

EXPOSE 8888
CMD ["jupyter", "notebook", "--no-browser", "--ip=0.0.0.0", "--port=8888", "--notebook-dir=/home/trgnas/trgnas/notebooks"]
