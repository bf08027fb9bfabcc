"""nbdscrub: helpers shared by the Python parts of the integration tests.

functions.sh puts tests/ on PYTHONPATH, so a test's Python says
`from nbdtest import connect, expect_err, expect_ok`.
"""

import nbd


def connect(sock):
    """A libnbd handle connected to the server on Unix socket sock."""
    h = nbd.NBD()
    h.connect_unix(sock)
    return h


def expect_err(what, errno, fn, *args):
    """fn(*args) must fail with nbd.Error whose errno is errno ("EIO")."""
    try:
        fn(*args)
    except nbd.Error as e:
        assert e.errno == errno, \
            "%s: expected %s, got %s (%s)" % (what, errno, e.errno, e)
        return
    raise AssertionError("%s: succeeded, expected %s" % (what, errno))


def expect_ok(what, fn, *args):
    """fn(*args) must succeed; returns what it returned."""
    try:
        return fn(*args)
    except nbd.Error as e:
        raise AssertionError("%s: failed: %s (%s)" % (what, e.errno, e))
