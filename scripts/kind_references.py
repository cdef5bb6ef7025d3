"""Print the places outside the kind modules that name a specific kind, grouped by file.

Generic code asks the registry (`smi_ui.smi.kinds.REGISTRY`) for kinds by name, plural,
group or trait; a place that names TrafficSplit (or `trafficsplits`, or `TRAFFIC_SPLIT`)
is one more place to touch when a kind is added. Each place that has to stay says why in
a comment on the same line containing `kind-reference:`. Docstrings and comment-only lines
are not places (they describe, they do not decide), nor are migrations (history).

    .venv/bin/python scripts/kind_references.py            # the list and the count
    .venv/bin/python scripts/kind_references.py --count    # the count only
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KIND_MODULES = ROOT / "smi_ui" / "smi" / "kinds"
SCANNED = (
    ("smi_ui", "*.py"), ("templates", "*.html"), ("static/js", "*.js"), ("scripts", "*.py"), ("deploy", "*.yaml")
)
REASON = "kind-reference:"


def kind_words() -> list[str]:
    from smi_ui.smi.kinds import REGISTRY

    words = set()
    for spec in REGISTRY:
        constant = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", spec.kind).upper()
        words.update({spec.kind, spec.plural, constant})
    return sorted(words, key=len, reverse=True)


def _python_skipped_lines(text: str) -> set[int]:
    """Lines of docstrings and comment-only lines."""
    skipped: set[int] = set()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return skipped
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            if docstring and isinstance(first.value.value, str):
                skipped.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT and not token.line[: token.start[1]].strip():
            skipped.add(token.start[0])
    return skipped


def _comment_only(line: str, suffix: str) -> bool:
    stripped = line.strip()
    if suffix == ".js":
        return stripped.startswith(("//", "/*", "*"))
    if suffix == ".html":
        return stripped.startswith(("{#", "<!--"))
    if suffix == ".yaml":
        return stripped.startswith("#")
    return False


def references() -> dict[str, list[tuple[int, str, bool]]]:
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, kind_words())) + r")(?![A-Za-z0-9])")
    found: dict[str, list[tuple[int, str, bool]]] = {}
    for folder, glob in SCANNED:
        for path in sorted((ROOT / folder).rglob(glob)):
            # migrations are history: they keep the words they were written with
            if KIND_MODULES in path.parents or {"vendor", "migrations"} & set(path.parts) \
                    or path == Path(__file__).resolve():
                continue
            text = path.read_text(encoding="utf-8")
            skipped = _python_skipped_lines(text) if path.suffix == ".py" else set()
            for number, line in enumerate(text.splitlines(), 1):
                if number in skipped or _comment_only(line, path.suffix) or not pattern.search(line):
                    continue
                found.setdefault(str(path.relative_to(ROOT)), []).append((number, line.strip(), REASON in line))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", action="store_true", help="print the count only")
    args = parser.parse_args()
    found = references()
    total = sum(len(lines) for lines in found.values())
    if not args.count:
        for path, lines in found.items():
            print(f"{path} ({len(lines)})")
            for number, line, explained in lines:
                print(f"  {number:5}{' ' if explained else '!'} {line[:110]}")
    unexplained = sum(1 for lines in found.values() for _n, _l, explained in lines if not explained)
    print(f"{total} places in {len(found)} files name a specific kind ({unexplained} without a reason)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
