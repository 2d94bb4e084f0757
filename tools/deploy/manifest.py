"""Writes mip's manifests for the device package: device/package.json (everything)
and device/core.json (the alert-only core, see tools/deploy/files.py):

    mpremote mip install github:OWNER/REPO/device             # full package
    mpremote mip install github:OWNER/REPO/device/core.json   # alert-only core

Sources are relative, so mip resolves them against the manifest's own URL (a fork,
a branch with @branch, or a local HTTP server all work). The full manifest lists the
core's files itself: mip installs a "deps" entry by package name or absolute URL,
never relative to the manifest, so a dependency on core.json would pin one repository.

`python -m tools.deploy.manifest` rewrites both; `--check` exits 1 when they are stale."""

import json
import re
import sys

from tools.deploy.files import PACKAGE, modules

MANIFESTS = {"package.json": False, "core.json": True}  # file name -> core only


def version():
    text = (PACKAGE / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def render(core_only):
    pairs = ",\n".join("    %s" % json.dumps(["utwilio/" + name, "utwilio/" + name])
                       for name in modules(core_only))
    return '{\n  "urls": [\n%s\n  ],\n  "version": %s\n}\n' % (pairs, json.dumps(version()))


def stale():
    """-> names of the manifests in device/ that differ from what render() makes."""
    return [name for name, core in MANIFESTS.items()
            if not (PACKAGE.parent / name).exists()
            or (PACKAGE.parent / name).read_text() != render(core)]


def write():
    for name, core in MANIFESTS.items():
        (PACKAGE.parent / name).write_text(render(core))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:
        bad = stale()
        if bad:
            sys.exit("stale: device/%s; run `python -m tools.deploy.manifest`"
                     % ", device/".join(bad))
        return
    if argv:
        sys.exit(__doc__)
    write()
    for name in MANIFESTS:
        print("wrote device/%s" % name)


if __name__ == "__main__":
    main()
