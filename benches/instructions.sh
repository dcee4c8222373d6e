#!/usr/bin/env bash
# Instructions per appeal (callgrind, deterministic where wall-clock time on
# a shared machine is not): segmentation, classification, classification with
# the knowledge lookup, over the corpus texts. Each mode runs with 1 and with
# 1+N passes; the difference divided by N x texts is the cost of one appeal,
# without loading. Installs valgrind from Debian's packages if absent.
#
# bash benches/instructions.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${1:-5}
if ! command -v valgrind >/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get install -y -q valgrind >/dev/null
fi
cargo build --release --quiet --example passes
texts=$(cat corpus/*.jsonl | grep -c .)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count() {
  valgrind --tool=callgrind --callgrind-out-file="$work/out" target/release/examples/passes "$1" "$2" 2>&1 \
    | awk '/Collected/ {print $4}'
}
declare -A per
for mode in segment classify knowledge; do
  base=$(count "$mode" 0)
  more=$(count "$mode" "$passes")
  per[$mode]=$(( (more - base) / (passes * texts) ))
done
echo "instructions per appeal over $texts corpus texts ($passes passes, callgrind):"
printf '  segmentation alone              %7d\n' "${per[segment]}"
printf '  classification                  %7d  (%s x segmentation; target 2x)\n' "${per[classify]}" \
  "$(awk -v a="${per[classify]}" -v b="${per[segment]}" 'BEGIN {printf "%.2f", a / b}')"
printf '  classification with knowledge   %7d  (%s x segmentation; target 8x)\n' "${per[knowledge]}" \
  "$(awk -v a="${per[knowledge]}" -v b="${per[segment]}" 'BEGIN {printf "%.2f", a / b}')"
