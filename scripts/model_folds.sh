#!/usr/bin/env bash
# The route model over the whole corpus, five folds by file: each fold's
# files are scored with a model trained on the other four folds' files.
#   bash scripts/model_folds.sh [RULES-DIR=rules]
# To weigh a policy change, run it on a copy of rules/ (with its sibling
# dictionaries/) with the change and on rules/ itself. Rules tuned on a record are hard to beat on it, so the
# fresh sets scored as they came are the figures to trust; the folds say
# whether a model setting helps or hurts across every file.
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-rules}
bin=target/release/fenliu
[ -x "$bin" ] || cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=(corpus/*.jsonl)
right=0
total=0
for k in 0 1 2 3 4; do
  test=()
  train=()
  for i in "${!files[@]}"; do
    if [ $((i % 5)) -eq "$k" ]; then test+=("${files[$i]}"); else train+=("${files[$i]}"); fi
  done
  rm -rf "$tmp/rules" "$tmp/dictionaries"
  cp -r "$rules" "$tmp/rules"
  cp -r "$(dirname "$rules")/dictionaries" "$tmp/dictionaries"
  "$bin" model train --corpus "${train[@]}" --out "$tmp/rules/route-model.tsv" >/dev/null
  "$bin" eval --json --corpus "${test[@]}" --rules "$tmp/rules" >"$tmp/eval.json"
  read -r n ok < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["records"], round(j["accuracy"]*j["records"]))' "$tmp/eval.json")
  echo "fold $k: $ok of $n right (${#test[@]} files)"
  right=$((right + ok))
  total=$((total + n))
done
python3 -c "print(f'all folds: $right of $total right ({$right/$total:.4f})')"
