#!/bin/sh
# scaleout-k8s: k8s-entry.sh once per JOB_COMPLETION_INDEX (0-based) of an
# Indexed Job with completions=6 (more shards than some ranges need);
# merged == unsharded; the manifest's completions match its SHARDS.
. "$(dirname "$0")/common.sh"
for i in 0 1 2 3 4 5; do
  JOB_COMPLETION_INDEX=$i SHARDS=6 "$RECIPES/k8s-entry.sh" \
    > "$WORK/k8s-$i.txt" 2>&1 || fail "index $i exited $?: $(cat "$WORK/k8s-$i.txt")"
done
compare 6
c=$(sed -n 's/^ *completions: *//p' "$RECIPES/k8s-job.yaml")
s=$(grep -A1 'name: SHARDS' "$RECIPES/k8s-job.yaml" | sed -n 's/.*value: *"\(.*\)"/\1/p')
[ "$c" = "$s" ] || fail "k8s-job.yaml: completions $c but SHARDS $s"
