"""test_readme.py: the curl examples of the README and of the API
reference (docs/API.md) work, on both fronts.

The contract with those documents: every fenced block that begins with the line
```sh and is immediately preceded by the line <!-- example --> is an
example. The examples run in order, in one `bash -euo pipefail` script,
with PARLEY exported as the base URL of a fresh front (so that a login such
as "alice" is free). The test passes when the script exits 0.
"""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, server_env

DOCS = ["README.md", "docs/API.md"]
MARK = "<!-- example -->"


def examples(text):
    """The bodies of the example blocks of text, in order."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == MARK and i + 1 < len(lines) and \
                lines[i + 1].rstrip() == "```sh":
            j = i + 2
            while j < len(lines) and lines[j].rstrip() != "```":
                j += 1
            assert j < len(lines), f"line {i + 2}: unclosed block"
            blocks.append("\n".join(lines[i + 2:j]))
            i = j
        i += 1
    return blocks


def test_examples_are_found():
    blocks = examples(f"x\n{MARK}\n```sh\necho a\n```\n```sh\nnot me\n```\n"
                      f"{MARK}\n\n```sh\nnor me\n```\n{MARK}\n```sh\n"
                      "echo b\necho c\n```\n")
    assert blocks == ["echo a", "echo b\necho c"]


@pytest.mark.parametrize("doc", DOCS)
def test_examples(make_front, front_kind, doc):
    with open(os.path.join(ROOT, doc)) as f:
        blocks = examples(f.read())
    assert blocks, f"no example blocks in {doc}"
    for tool in ("bash", "curl", "jq"):
        assert shutil.which(tool), f"{tool} is missing: sh tests/deps.sh test"
    c = make_front(front_kind, label="readme")
    script = "\n".join(f"# --- example {n + 1}\n{b}"
                       for n, b in enumerate(blocks)) + "\n"
    env = dict(server_env(), PARLEY=c.base)
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script],
                          env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, \
        f"exit {proc.returncode}\n--- script\n{script}\n--- stdout\n" \
        f"{proc.stdout}\n--- stderr\n{proc.stderr}"
