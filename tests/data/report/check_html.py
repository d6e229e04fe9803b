#!/usr/bin/env python3
# test_report's HTML checker: check_html.py FILE [PAIRS]
# The page must parse with Python's html.parser with every element closed
# in order (void elements excepted), hold no <script>, no element that loads
# anything (src, href, url(), @import), no "http://" or "https://" anywhere,
# one <svg> per (region, chain) (PAIRS, when given), and in each <svg> the
# widths of the rectangles must add up to the window (1000 units) with no
# gap or overlap between neighbours. Prints "ok: N svg" or the first
# problem, and exits 0 or 1.
import re
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr"}


class Strict(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.svgs, self.rects = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        self.check(tag, attrs)
        if tag == "svg":
            self.svgs += 1
            self.rects = []
        if tag == "rect":
            self.rect(attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.check(tag, attrs)
        if tag == "rect":
            self.rect(attrs)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1:]}")
            return
        self.stack.pop()
        if tag == "svg":
            self.end_svg()

    def check(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            self.errors.append(f"<{tag}> at {self.getpos()}")
        for k, v in attrs:
            if k in ("src", "href", "xlink:href") or k.startswith("on"):
                self.errors.append(f"attribute {k} at {self.getpos()}")

    def rect(self, attrs):
        a = dict(attrs)
        self.rects.append((float(a["x"]), float(a["width"])))

    def end_svg(self):
        x = 0.0
        for x0, w in self.rects:
            if abs(x0 - x) > 0.002 or w < 0:
                self.errors.append(f"svg {self.svgs}: rect at {x0} after {x}")
            x = x0 + w
        if abs(x - 1000.0) > 0.01:
            self.errors.append(f"svg {self.svgs}: rects end at {x}, not 1000")


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    p = Strict()
    p.feed(text)
    p.close()
    errors = p.errors
    if p.stack:
        errors.append(f"not closed: {p.stack}")
    if not text.startswith("<!DOCTYPE html>"):
        errors.append("no doctype")
    if re.search(r"https?://|url\(|@import", text, re.I):
        errors.append("a network reference")
    if len(sys.argv) > 2 and p.svgs != int(sys.argv[2]):
        errors.append(f"{p.svgs} svg, expected {sys.argv[2]}")
    if errors:
        print("\n".join(errors))
        return 1
    print(f"ok: {p.svgs} svg")
    return 0


sys.exit(main())
