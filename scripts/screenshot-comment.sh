#!/usr/bin/env bash
# Pictures of the plan comment as a pull request shows it: the comment
# rendered by cmark-gfm (scripts/render-comment.sh), photographed by headless
# Chromium at 1000x1400.
#   scripts/screenshot-comment.sh
#       plans scripts/comment-example.sh's account (build/bin/lakeform,
#       build/tests/mkstate: `make all build/tests/mkstate`) and writes
#       docs/img/plan-comment.png (as posted, the fold closed) and
#       docs/img/plan-comment-details.png (the fold open)
#   scripts/screenshot-comment.sh COMMENT.md OUT.png [--open]
#       one picture of any comment
# LAKEFORM and MKSTATE name other binaries; CHROMIUM another browser.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
chromium=${CHROMIUM:-chromium}
command -v "$chromium" >/dev/null || { echo "screenshot-comment: $chromium is missing (make deps)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shoot() { # COMMENT.md OUT.png [--open]
	"$repo/scripts/render-comment.sh" "$1" "$tmp/page.html" "${3:-}"
	rm -f "$2"
	# a profile of its own: nothing read from or left in $HOME
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$tmp/profile" --window-size=1000,1400 \
		--screenshot="$2" "file://$tmp/page.html" >"$tmp/chromium.log" 2>&1 || true
	if [[ ! -s $2 ]]; then
		echo "screenshot-comment: chromium made no picture:" >&2
		tail -n 5 "$tmp/chromium.log" >&2
		exit 1
	fi
}

if [[ $# -ge 2 ]]; then
	shoot "$1" "$2" "${3:-}"
	exit 0
fi
lakeform=$(realpath "${LAKEFORM:-$repo/build/bin/lakeform}")
mkstate=$(realpath "${MKSTATE:-$repo/build/tests/mkstate}")
"$repo/scripts/comment-example.sh" "$tmp/config" "$mkstate"
# the pipeline's -C config: the comment names that directory
(cd "$tmp" && "$lakeform" -C config plan --refresh=false --markdown >"$tmp/plan.md")
mkdir -p "$repo/docs/img"
shoot "$tmp/plan.md" "$repo/docs/img/plan-comment.png"
shoot "$tmp/plan.md" "$repo/docs/img/plan-comment-details.png" --open
echo "wrote docs/img/plan-comment.png and docs/img/plan-comment-details.png"
