"""Put on PYTHONPATH by tests/test_demo.py: every Python process of the demo (the demo,
the agent, mpremote, the VM's wrapper) then fails to import any installed package that
the `demo` extra and the main dependencies do not bring, as on a machine where only
`pip install -e '.[demo]'` ran."""

import importlib.metadata as metadata
import re
import sys


def _closure():
    seen, todo = set(), [("utwilio", "demo")]
    while todo:
        name, extra = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if (key, extra) in seen:
            continue
        seen.add((key, extra))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in requires:
            spec, _, marker = req.partition(";")
            if "extra ==" in marker and ('"%s"' % extra) not in marker:
                continue  # other markers (python_version...) are let through: a superset
            dep = re.match(r"[A-Za-z0-9_.-]+", spec.strip()).group(0)
            todo.append((dep, None))
    return {key for key, _ in seen}


class _Blocker:
    def __init__(self, blocked):
        self.blocked = blocked

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ImportError("%s is not in the demo extra (blocked by tests/demoonly)" % name)
        return None


def _install():
    allowed = _closure() | {"pip", "setuptools"}
    blocked = set()
    for module, dists in metadata.packages_distributions().items():
        if not any(re.sub(r"[-_.]+", "-", d).lower() in allowed for d in dists):
            blocked.add(module)
    sys.meta_path.insert(0, _Blocker(blocked))


_install()
