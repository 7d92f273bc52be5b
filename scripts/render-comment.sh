#!/usr/bin/env bash
# Render a comment written by `lakeform plan --markdown` or `drift
# --markdown` as a forge would: cmark-gfm with GitHub's extensions (tables,
# autolinks, strikethrough, the tag filter) and raw HTML allowed, as GitHub
# allows <details> and <code>.  The page gets a plain stylesheet close to a
# pull-request comment and colours the lines of ```diff blocks by their
# first column ('+' green, '-' red, '!' amber), as GitHub's highlighting does.
#   usage: scripts/render-comment.sh COMMENT.md PAGE.html [--open]
# --open opens the <details> folds (a picture of what a reader sees after
# clicking them).
set -euo pipefail
in=${1:?usage: render-comment.sh COMMENT.md PAGE.html [--open]}
out=${2:?usage: render-comment.sh COMMENT.md PAGE.html [--open]}
open=${3:-}
command -v cmark-gfm >/dev/null || { echo "render-comment: cmark-gfm is missing (make deps)" >&2; exit 1; }

body=$(cmark-gfm --unsafe -e table -e strikethrough -e autolink -e tagfilter "$in")
if [[ $open == --open ]]; then
	body=${body//<details>/<details open>}
fi
cat >"$out" <<HTML
<!doctype html>
<html><head><meta charset="utf-8"><title>comment</title>
<style>
body { margin: 0; background: #f6f8fa; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans",
       Helvetica, Arial, sans-serif; color: #1f2328; }
.comment { margin: 16px; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; }
.who { padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d0d7de;
       border-radius: 6px 6px 0 0; color: #59636e; }
.who b { color: #1f2328; }
.body { padding: 16px; }
h3 { margin: 0 0 16px; font-size: 1.25em; }
h4 { margin: 24px 0 8px; font-size: 1em; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       background: #eff1f3; padding: .2em .4em; border-radius: 6px; }
pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; }
pre code { background: none; padding: 0; display: block; }
blockquote { margin: 0 0 16px; padding: 0 1em; color: #59636e; border-left: .25em solid #d0d7de; }
table { border-collapse: collapse; margin: 0 0 16px; }
th, td { border: 1px solid #d0d7de; padding: 6px 13px; }
tr:nth-child(2n) { background: #f6f8fa; }
summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
.add { color: #116329; background: #dafbe1; }
.del { color: #82071e; background: #ffebe9; }
.chg { color: #953800; background: #fff1e5; }
.line { display: block; }
</style></head>
<body><div class="comment"><div class="who"><b>lakeform-bot</b> commented</div>
<div class="body">
$body
</div></div>
<script>
for (const c of document.querySelectorAll("code.language-diff")) {
  const lines = c.textContent.replace(/\n$/, "").split("\n");
  c.textContent = "";
  for (const l of lines) {
    const s = document.createElement("span");
    s.className = "line" + ({"+": " add", "-": " del", "!": " chg"}[l[0]] || "");
    s.textContent = l.length ? l : " ";
    c.appendChild(s);
  }
}
</script>
</body></html>
HTML
