"""helpers_ops.py: reading GET /api/v1/metrics (Prometheus' text format)."""
import re

import requests

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
LABELS = re.compile(r'(%s)(,(%s))*' % (LABEL.pattern, LABEL.pattern))
NUMBER = re.compile(r'[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|[-+]?Inf|NaN')


def parse_metrics(text):
    """Parses an exposition strictly: every line is a # HELP, a # TYPE or
    a sample of a declared family; returns ({(name, labels): value},
    {family: type})."""
    samples, types = {}, {}
    assert text.endswith("\n"), text[-100:]
    for line in text.splitlines():
        if line.startswith("# HELP "):
            assert len(line.split(" ", 3)) == 4, line
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            assert name not in types, f"{name} declared twice"
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name = m.group(1)
        assert m.group(3) is None or LABELS.fullmatch(m.group(3)), line
        assert NUMBER.fullmatch(m.group(4)), line
        labels = tuple(sorted(LABEL.findall(m.group(3) or "")))
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        family = base if types.get(base) == "histogram" else name
        assert family in types, f"{name} has no # TYPE line before it"
        value = float(m.group(4))
        assert (name, labels) not in samples, f"{line} repeated"
        samples[(name, labels)] = value
    return samples, types


def scrape(base, **kw):
    """GET base/api/v1/metrics; returns (response, samples, types) (the
    last two None unless 200)."""
    s = requests.Session()
    s.trust_env = False
    try:
        r = s.get(base + "/api/v1/metrics", timeout=10, **kw)
    finally:
        s.close()
    if r.status_code != 200:
        return r, None, None
    assert r.headers["Content-Type"] == METRICS_TYPE, r.headers
    samples, types = parse_metrics(r.text)
    return r, samples, types


def value(samples, name, **labels):
    """The value of one sample (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
