"""The freeze manifest the deploy tool writes (tools/deploy/freeze.py) is a manifest
MicroPython's build reads: run here against the manifest functions it calls."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.deploy import files, freeze  # noqa: E402


def calls(text):
    """Runs a manifest as MicroPython's manifestfile.py does -> [(function, args, kw)]."""
    seen = []

    def record(name):
        return lambda *args, **kw: seen.append((name, args, kw))

    exec(text, {n: record(n) for n in ("include", "require", "package", "module")})
    return seen


def test_full_package_frozen_beside_the_boards_modules():
    seen = calls(freeze.render())
    assert seen[0] == ("include", ("$(PORT_DIR)/boards/manifest.py",), {})
    name, args, kw = seen[1]
    assert (name, args) == ("package", ("utwilio",))
    assert kw["files"] == tuple(files.modules()) and "link.py" in kw["files"]
    assert Path(kw["base_path"], "utwilio", "__init__.py").is_file()


def test_core_only_pico_w_with_requests(tmp_path):
    out = tmp_path / "manifest.py"
    freeze.main(["--core-only", "--include", "$(BOARD_DIR)/manifest.py", "--require",
                 "requests", "-o", str(out)])
    seen = calls(out.read_text())
    assert [s[0] for s in seen] == ["include", "require", "package"]
    assert seen[0][1] == ("$(BOARD_DIR)/manifest.py",) and seen[1][1] == ("requests",)
    assert seen[2][2]["files"] == tuple(sorted(files.CORE))
