# Sourced (`. scripts/xla-cuda-env.sh`), it points GoMLX's XLA backend at
# the PJRT CUDA plugin of Python's jax-cuda13-pjrt package, for machines
# with an NVIDIA GPU and JAX installed but no plugin where go-xla looks:
# trgnas commands run after it train on the GPU. It exports
# GOMLX_BACKEND=xla:<link>, where <link> is a symlink named
# pjrt_c_api_cuda_plugin.so (the name go-xla v0.4.1 wants) to the plugin;
# LD_LIBRARY_PATH with the lib folders of the Python nvidia packages beside
# it (loaded through the link, the plugin's $ORIGIN search path may no
# longer reach them); XLA_FLAGS=--xla_gpu_cuda_data_dir= the first CUDA
# folder that holds nvvm/libdevice, and its bin on PATH (ptxas); and
# GOMLX_NO_AUTO_INSTALL=1, GOPJRT_CUDA_CHECKS=0. PYTHON names the
# interpreter (default python3). Tried on one NVIDIA H200 with
# jax-cuda13-pjrt 0.11.2 (bench/README.md). Returns non-zero, with a
# message, where the package is missing.
_trgnas_py=${PYTHON:-python3}
_trgnas_dir=$("$_trgnas_py" -c 'import jax_plugins.xla_cuda13 as m, os; print(os.path.dirname(m.__file__))' 2>/dev/null) || _trgnas_dir=
if [ -z "$_trgnas_dir" ]; then
	echo "xla-cuda-env.sh: $_trgnas_py cannot import jax_plugins.xla_cuda13 (pip install jax-cuda13-pjrt)" >&2
	unset _trgnas_py _trgnas_dir
	return 1 2>/dev/null || exit 1
fi
_trgnas_so=$(ls "$_trgnas_dir"/xla_cuda_plugin.so 2>/dev/null || ls "$_trgnas_dir"/*.so 2>/dev/null | head -n 1)
if [ -z "$_trgnas_so" ]; then
	echo "xla-cuda-env.sh: no plugin library in $_trgnas_dir" >&2
	unset _trgnas_py _trgnas_dir _trgnas_so
	return 1 2>/dev/null || exit 1
fi
_trgnas_site=$(dirname "$(dirname "$_trgnas_dir")")
_trgnas_link=$(mktemp -d)/pjrt_c_api_cuda_plugin.so
ln -s "$_trgnas_so" "$_trgnas_link"
_trgnas_libs=$(ls -d "$_trgnas_site"/nvidia/*/lib "$_trgnas_site"/nvidia/*/lib64 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="${_trgnas_libs}${LD_LIBRARY_PATH:-}"
for _trgnas_cuda in "${CUDA_HOME:-}" "$_trgnas_site/nvidia/cu13" "$_trgnas_site/nvidia/cuda_nvcc" /usr/local/cuda; do
	if [ -n "$_trgnas_cuda" ] && [ -d "$_trgnas_cuda/nvvm/libdevice" ]; then
		export XLA_FLAGS="${XLA_FLAGS:---xla_gpu_cuda_data_dir=$_trgnas_cuda}"
		export PATH="$_trgnas_cuda/bin:$PATH"
		break
	fi
done
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0
export GOMLX_BACKEND="xla:$_trgnas_link"
echo "xla-cuda-env.sh: plugin $_trgnas_so; GOMLX_BACKEND=$GOMLX_BACKEND; XLA_FLAGS=${XLA_FLAGS:-}" >&2
unset _trgnas_py _trgnas_dir _trgnas_so _trgnas_site _trgnas_link _trgnas_libs _trgnas_cuda
