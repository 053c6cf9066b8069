#!/usr/bin/env bash
# Create benchmarks/.venv-ref holding the reference cylc-uiserver 1.7.x with
# cylc-flow pinned to the same 8.5.x as our own venv, so both servers talk to
# the same schedulers with the same protocol. Idempotent: reruns only check.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-ref"
python="${PYTHON:-python3.11}"
flow_version="$("$here/../.venv/bin/python" -c 'import importlib.metadata as m; print(m.version("cylc-flow"))')"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip 2> >(grep -v "is ignored" >&2)
"$venv/bin/pip" install --quiet "cylc-uiserver==1.7.*" "cylc-flow==$flow_version" psutil 2> >(grep -v "is ignored" >&2)
"$venv/bin/python" - <<'PY'
import importlib.metadata as m
print("reference venv ready: cylc-uiserver", m.version("cylc-uiserver"),
      "cylc-flow", m.version("cylc-flow"))
PY
