#!/bin/sh
# Fails when clang-format would change a C++ file of the project.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find src tests bench -name '*.[ch]pp')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
if ! clang-format --dry-run -Werror $files; then
  echo "check-format: run clang-format -i on the files above" >&2
  exit 1
fi
