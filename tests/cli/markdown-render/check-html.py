#!/usr/bin/env python3
"""What a reader of a rendered comment sees, as lines to compare: the
folds (and how deep they nest), the headings, the warnings, each table's
body rows, and the first column of the lines of each diff block.
usage: check-html.py PAGE.html (cmark-gfm's output)"""
import sys
from html.parser import HTMLParser


class Structure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0          # <details> open around the current point
        self.deepest = 0
        self.folds = 0
        self.outside = []       # what comes outside every fold, in order
        self.stack = []
        self.text = None        # collecting the text of an element
        self.out = []
        self.rows = None
        self.quote = None
        self.diff = None        # the text of a ```diff block

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag == "details":
            self.folds += 1
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)
        elif tag in ("h1", "h2", "h3", "h4", "summary"):
            self.text = ""
        elif tag == "blockquote":
            self.quote = ""
        elif tag == "tbody":
            self.rows = 0
        elif tag == "tr" and self.rows is not None:
            self.rows += 1
        elif tag == "code" and ("class", "language-diff") in attrs:
            self.diff = ""
        if self.depth == 0 and tag in ("h3", "blockquote", "table", "pre", "details"):
            self.outside.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass
        where = "inside" if self.depth else "outside"
        if tag == "details":
            self.depth -= 1
        elif tag in ("h1", "h2", "h3", "h4", "summary") and self.text is not None:
            self.out.append(f"{tag} {where}: {' '.join(self.text.split())}")
            self.text = None
        elif tag == "blockquote" and self.quote is not None:
            first = " ".join(self.quote.split())[:60]
            self.out.append(f"blockquote {where}: {first}")
            self.quote = None
        elif tag == "tbody":
            self.out.append(f"table {where}: {self.rows} rows")
            self.rows = None
        elif tag == "code" and self.diff is not None:
            firsts = {}
            for line in self.diff.rstrip("\n").split("\n"):
                k = line[0] if line and line[0] in "+-!" else "other"
                firsts[k] = firsts.get(k, 0) + 1
            kinds = " ".join(f"{k}:{firsts[k]}" for k in sorted(firsts))
            self.out.append(f"diff {where}: {kinds}")
            self.diff = None

    def handle_data(self, data):
        if self.diff is not None:
            self.diff += data
        if self.text is not None:
            self.text += data
        if self.quote is not None:
            self.quote += data


p = Structure()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(f"folds: {p.folds}, nested at most {p.deepest} deep")
print(f"outside the folds, in order: {' '.join(p.outside)}")
for line in p.out:
    print(line)
