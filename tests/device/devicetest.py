"""The device side of tests/devicevm.py: arguments in, one RESULT line out.
Runs on MicroPython and CPython alike."""

import json
import sys


def args():
    """The JSON object in the file named by sys.argv[1]."""
    if len(sys.argv) < 2:
        return {}
    with open(sys.argv[1]) as f:
        return json.load(f)


def report(value):
    print("RESULT " + json.dumps(value))
