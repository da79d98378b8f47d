#!/usr/bin/env bash
# Fails listing every tracked C++ file that clang-format would change.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=()
while IFS= read -r file; do
  [ -f "$file" ] || continue
  clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || bad+=("$file")
done < <(git ls-files '*.cpp' '*.hpp')
if [ ${#bad[@]} -gt 0 ]; then
  echo "clang-format differs on: ${bad[*]} (run 'make format')" >&2
  exit 1
fi
echo "clang-format: clean"
