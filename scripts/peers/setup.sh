#!/usr/bin/env bash
# Sets up the peer frameworks that `inertia bench` compares against: Keras 3 on
# TensorFlow (tensorflow-cpu) and PyTorch, in one Python venv under inertia's cache dir.
# Not part of `npm install` or CI (about 2 GB); the bench runs the peers when this venv exists.
#
#   bash scripts/peers/setup.sh          # or: INERTIA_PEERS_PYTHON=python3.11 bash scripts/peers/setup.sh
#
# Overrides: INERTIA_CACHE_DIR (venv location), INERTIA_PEERS_PYTHON (interpreter),
# INERTIA_TF_SPEC (default tensorflow-cpu==2.21.0), INERTIA_TORCH_SPEC (default: a CPU-only
# torch wheel from pip's find-links if there is one, else plain `torch`, else Debian's python3-torch).
set -euo pipefail

cache_dir="${INERTIA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/inertia}"
venv="$cache_dir/peers-venv"
python="${INERTIA_PEERS_PYTHON:-python3}"
tf_spec="${INERTIA_TF_SPEC:-tensorflow-cpu==2.21.0}"

say() { printf 'peers: %s\n' "$*" >&2; }

if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv with $($python --version 2>&1)"
  mkdir -p "$cache_dir"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check)

say "installing numpy and $tf_spec (Keras 3 comes with it)"
"${pip[@]}" numpy "$tf_spec"

# A CPU-only torch wheel (local version "+cpu") that pip's find-links directories offer,
# newest first: much smaller than the default build, which pulls CUDA libraries.
cpu_torch_spec() {
  local tag dirs dir wheel version
  tag="cp$("$venv/bin/python" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
  dirs="$("$venv/bin/python" -m pip config list 2>/dev/null | sed -n "s/.*find-links='\(.*\)'/\1/p" | tr ' ' '\n')"
  for dir in $dirs; do
    dir="${dir#file://}"
    [ -d "$dir" ] || continue
    for wheel in "$dir"/torch-*+cpu-"$tag"-*.whl; do
      [ -e "$wheel" ] || continue
      version="$(basename "$wheel" | cut -d- -f2)"
      printf '%s\n' "$version"
    done
  done | sort -V | tail -n 1 | sed 's/^/torch==/'
}

torch_spec="${INERTIA_TORCH_SPEC:-$(cpu_torch_spec)}"
torch_ok=0
for spec in $torch_spec torch; do
  say "installing $spec"
  if "${pip[@]}" "$spec"; then torch_ok=1; break; fi
  say "pip could not install $spec"
done

if [ "$torch_ok" = 0 ]; then
  # Debian's PyTorch (1.13) runs under the system interpreter; the bench finds it there.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "falling back to Debian's python3-torch with OpenBLAS"
    apt-get install -y python3-torch python3-numpy libopenblas0-pthread
  else
    say "no PyTorch: run 'sudo apt-get install python3-torch python3-numpy libopenblas0-pthread' or set INERTIA_TORCH_SPEC"
  fi
fi

"$venv/bin/python" - <<'PY'
import importlib
for name in ("numpy", "tensorflow", "keras", "torch"):
    try:
        module = importlib.import_module(name)
        print(f"peers: {name} {module.__version__}")
    except Exception as error:  # noqa: BLE001 - report, do not fail: the bench says what is missing
        print(f"peers: {name} unavailable ({error})")
PY
say "done: $venv"
