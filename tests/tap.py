"""tap.py: TAP for the python tests (run by prove), the counterpart of tap.h.

    sys.path.insert(0, os.path.join(os.environ["MCSPOOL_TOP"], "tests"))
    from tap import ok, done
    ok(cond, "name", diag)   # diag (any object) is printed as '#' lines on failure
    done()                   # the plan, at the end, and the exit status
"""
import sys

_n = 0
_failed = 0


def ok(cond, name, diag=None, lines=20):
    global _n, _failed
    _n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (_n, name))
    if not cond:
        _failed += 1
        if diag:
            for line in str(diag).splitlines()[:lines]:
                print("# " + line)
    sys.stdout.flush()
    return cond


def done():
    print("1..%d" % _n)  # the plan at the end: TAP allows it
    sys.exit(1 if _failed else 0)
