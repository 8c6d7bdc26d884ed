#!/usr/bin/python3
"""front.py: one parley front for the browser tests, started the way the
HTTP tests start theirs (tests/http/conftest.py's start_front), so that the
FastCGI deployment is deploy/nginx.conf around parley.fcgi here too.

    front.py KIND TMPDIR [PARLEY FLAGS...]      KIND: fcgi or parleyd

Prints "base URL" once the front answers, then takes commands on stdin,
one a line, and answers each with "ok" (or "error ..."):
    stop-api    stops parley (parley.fcgi or parleyd); nginx stays up
    start-api   starts it again on the same socket or port and database
    quit        stops everything; prints "problem ..." for each problem
                found (exit status, sanitizer reports, nginx errors)
End of input counts as quit.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))

import conftest  # noqa: E402


def say(*words):
    print(*words, flush=True)


def main():
    kind, tmp, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    problems = []
    try:
        front = conftest.start_front(kind, tmp, flags, label=f"browser-{kind}")
    except BaseException as e:  # pytest.fail raises a BaseException
        say("error", str(e).replace("\n", " | "))
        return 1
    say("base", front.base)
    restarts = 0
    for line in sys.stdin:
        cmd = line.strip()
        try:
            if cmd == "stop-api":
                # The client polls on while parley is down: nginx then
                # finds the socket gone, which is no fault here.
                front.upstream_may_vanish = True
                problems += front.procs[0].stop()
                say("ok")
            elif cmd == "start-api":
                restarts += 1
                old = front.procs[0]
                argv = list(old.argv)
                if kind == "parleyd":
                    port = front.base.rsplit(":", 1)[1]
                    argv[argv.index("--listen") + 1] = f"127.0.0.1:{port}"
                new = conftest.Proc(f"{old.label}-again{restarts}", argv)
                front.procs[0] = new
                conftest.wait_until("parley starts again",
                                    lambda: conftest.health_ok(front.base),
                                    [new])
                say("ok")
            elif cmd == "quit":
                break
            elif cmd:
                say("error", "unknown command", cmd)
        except BaseException as e:
            say("error", str(e).replace("\n", " | "))
    problems += front.stop()
    for p in problems:
        say("problem", p.replace("\n", " | "))
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
