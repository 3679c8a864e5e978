#!/usr/bin/env bash
# Checks the commit messages after a base: scripts/check-commits.sh <base> [<head>]
# (e.g. scripts/check-commits.sh main before asking for a merge). Each commit in base..head needs
# a subject of at most 72 characters saying what changed, then a blank line and a body saying
# why; fix-up commits ("lint", "format", "fixup!", "squash!", "wip") must be squashed first.
# Prints every offending commit and exits 1 when there is one; merge commits are skipped.
set -euo pipefail
base="${1:?usage: scripts/check-commits.sh <base> [<head>]}"
head="${2:-HEAD}"
bad=0
for commit in $(git rev-list --no-merges --reverse "$base..$head"); do
  subject="$(git log -1 --format=%s "$commit")"
  body="$(git log -1 --format=%b "$commit" | sed '/^[[:space:]]*$/d')"
  short="$(git rev-parse --short "$commit")"
  problems=()
  [ "${#subject}" -le 72 ] || problems+=("subject is ${#subject} characters (at most 72)")
  [ -n "$body" ] || problems+=("no body saying why")
  if [ -n "$(git log -1 --format=%B "$commit" | sed -n 2p)" ]; then
    problems+=("no blank line after the subject")
  fi
  if printf '%s' "$subject" | grep -qiE '^(fixup!|squash!|amend!)|^(lint|format|formatting|wip|fix lint|fix format)[[:space:][:punct:]]*$'; then
    problems+=("a fix-up commit: squash it into the commit it fixes")
  fi
  for p in ${problems[@]+"${problems[@]}"}; do
    echo "$short $subject: $p"
    bad=1
  done
done
exit "$bad"
