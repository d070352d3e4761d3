#!/bin/sh
# scaleout-slurm: the body of slurm.sbatch once per array index, as Slurm
# would run it with --array=1-4; merged == unsharded.
. "$(dirname "$0")/common.sh"
for i in 1 2 3 4; do
  SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=4 SLURM_SUBMIT_DIR="$SRC" \
    bash "$RECIPES/slurm.sbatch" > "$WORK/slurm-$i.txt" 2>&1 ||
    fail "task $i exited $?: $(cat "$WORK/slurm-$i.txt")"
done
compare 4
# Outside an array it refuses to run.
if bash "$RECIPES/slurm.sbatch" > /dev/null 2>&1; then
  fail "slurm.sbatch ran without SLURM_ARRAY_TASK_ID"
fi
