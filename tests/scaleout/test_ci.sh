#!/bin/sh
# scaleout-ci: the GitHub Actions and GitLab CI matrices, run locally: each
# matrix entry's shard.sh command (GitHub: matrix.shard of 8; GitLab:
# CI_NODE_INDEX of CI_NODE_TOTAL=8); merged == unsharded.
. "$(dirname "$0")/common.sh"
shards=$(sed -n 's/^ *shard: *\[\(.*\)\]/\1/p' "$RECIPES/github-actions.yml" | tr -d ,)
[ "$(echo $shards | wc -w)" -eq 8 ] || fail "github matrix: '$shards'"
for k in $shards; do
  "$RECIPES/shard.sh" "$k" 8 > /dev/null 2>&1 || [ $? -eq 1 ] || fail "github shard $k"
done
compare 8
rm -rf "$OUT_DIR"
total=$(sed -n 's/^ *parallel: *//p' "$RECIPES/gitlab-ci.yml")
[ "$total" = 8 ] || fail "gitlab parallel: '$total'"
for k in $(seq "$total"); do
  CI_NODE_INDEX=$k CI_NODE_TOTAL=$total sh -c \
    "\"$RECIPES/shard.sh\" \"\$CI_NODE_INDEX\" \"\$CI_NODE_TOTAL\"" > /dev/null 2>&1 ||
    [ $? -eq 1 ] || fail "gitlab node $k"
done
compare 8
