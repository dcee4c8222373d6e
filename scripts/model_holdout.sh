#!/usr/bin/env bash
# How the route model does on appeals it was not trained on.
#   bash scripts/model_holdout.sh corpus/fresh-62.jsonl corpus/fresh-66.jsonl ...
# Trains a model on every corpus file but the ones named (files outside
# corpus/ are simply not in it), puts it in a copy of rules/ and
# dictionaries/, and scores the named files with that model and with the
# rules alone (the manifest's `route_model:` taken out).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
  echo "usage: $0 HELD-OUT.jsonl..." >&2
  exit 2
fi
bin=target/release/fenliu
[ -x "$bin" ] || cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r rules dictionaries "$tmp/"
train=()
for f in corpus/*.jsonl; do
  keep=1
  for h in "$@"; do
    if [ "$(realpath "$f")" = "$(realpath "$h")" ]; then keep=; fi
  done
  if [ -n "$keep" ]; then train+=("$f"); fi
done
"$bin" model train --corpus "${train[@]}" --out "$tmp/rules/route-model.tsv"
echo "== with a model trained without them"
"$bin" eval --corpus "$@" --rules "$tmp/rules" | sed -n 1,3p
sed -i '/^route_model:/d' "$tmp/rules/fenliu.yaml"
echo "== the rules alone"
"$bin" eval --corpus "$@" --rules "$tmp/rules" | sed -n 1,3p
