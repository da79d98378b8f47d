#!/usr/bin/env bash
# The dependency rule (src/CMakeLists.txt): core includes nothing of ours outside core and
# no I/O, clock or process headers; ports include only core and ports; app never includes
# adapters or cli; adapters never include app or cli.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
violation() { echo "layering: $1" >&2; status=1; }

check() { # folder forbidden-include-regex why
  local hits
  hits=$(grep -rnE "#include [<\"]($2)" "src/$1" --include='*.hpp' --include='*.cpp' || true)
  [ -z "$hits" ] || violation "$1 must not include $3:"$'\n'"$hits"
}
check core 'ports/|app/|adapters/|cli/' "other layers"
check core 'fstream|filesystem|iostream|cstdio|unistd\.h|sys/|netinet/|arpa/|thread|random|ctime|time\.h' \
  "I/O, clock or randomness (core is pure)"
check ports 'app/|adapters/|cli/' "app, adapters or cli"
check app 'adapters/|cli/' "adapters or cli"
check adapters 'app/|cli/' "app or cli"
if grep -rnE 'system_clock::now|steady_clock::now|time\(nullptr\)' src/core >/dev/null; then
  violation "core reads the clock: $(grep -rnE 'system_clock::now|steady_clock::now' src/core)"
fi
[ $status -eq 0 ] && echo "layering: clean"
exit $status
