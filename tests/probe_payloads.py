"""Hostile inputs for the security probes (XSS, SQL injection, template expressions) and a
checker for markup in a page that could run script."""

import re
from html.parser import HTMLParser

TEMPLATE_MARK = "tpl{{7*7}}tpl"
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![i](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<div style="width:expression(alert(1))">x</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<b><i><u onclick=alert(1)>x</u></i></b>",
    TEMPLATE_MARK,
    "{% raw %}{{ config }}{% endraw %}",
    "退货<script>alert('运费')</script>说明",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<base href="https://evil.example/">',
]

SQLI_PAYLOADS = [
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "1 UNION SELECT name, sql FROM sqlite_master --",
    "%' --",
    "1'); DELETE FROM articles; --",
    "\x00",
    "a\x00b",
    "x" * 5000,
    "'",
    '"',
    "%",
    "_",
    "\\",
    "1 OR 1=1",
    "-1",
    "99999999999999999999999",
    "NEAR(a b)",
    "title:x*",
    "a AND OR NOT",
    '"unterminated',
    "(((",
    "^*",
    "{col}: x",
]

SQL_ERROR_MARKERS = (
    "sqlite3.",
    "OperationalError",
    "syntax error",
    "sqlalchemy",
    "Traceback",
    "fts5:",
    "no such column",
    "unrecognized token",
)


# -- executable markup -----------------------------------------------------------------------

_DANGEROUS_TAGS = {
    "iframe",
    "object",
    "embed",
    "base",
    "frame",
    "frameset",
    "applet",
    "meta",
    "form",
}
# url(#id) is how our SVG charts refer to their own clip paths; any other url() is not ours.
_BAD_CSS_RE = re.compile(r"expression\(|javascript:|url\((?!#)|@import")
_C0_AND_SPACE = "".join(map(chr, range(33)))
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        compact = re.sub(r"\s", "", data).lower()
        if self.in_style and _BAD_CSS_RE.search(compact):
            self.problems.append(f"<style>{data[:60]!r}")

    def handle_starttag(self, tag, attrs):
        attrs = [(name.lower(), value or "") for name, value in attrs]
        if tag == "script":
            src = dict(attrs).get("src", "")
            if not src.startswith("/static/"):
                self.problems.append(f"<script src={src!r}>")
        self.in_style = tag == "style"
        if tag in _DANGEROUS_TAGS and not (tag == "form" and _same_site_form(attrs)):
            self.problems.append(f"<{tag}>")
        if tag == "meta" and ("http-equiv", "refresh") not in attrs:
            self.problems.pop()  # plain <meta> in <head> is fine
        for name, value in attrs:
            # As a browser reads a URL: C0 controls and spaces trimmed, tab/CR/LF removed
            # anywhere ("java\tscript:" runs, "java   script:" is a harmless relative path).
            compact = re.sub(r"[\t\r\n]", "", value.strip(_C0_AND_SPACE)).lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            elif name in _URL_ATTRS and compact.startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
            elif name == "style" and _BAD_CSS_RE.search(compact):
                self.problems.append(f"<{tag} style={value!r}>")


def _same_site_form(attrs) -> bool:
    action = dict(attrs).get("action", "")
    return not re.sub(r"\s", "", action).lower().startswith(("javascript:", "data:"))


def executable_markup(html: str) -> list[str]:
    """What in ``html`` could run script: empty when the page is safe."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    problems = checker.problems
    if TEMPLATE_MARK.replace("{{7*7}}", "49") in html:
        problems.append("template expression evaluated")
    return problems
