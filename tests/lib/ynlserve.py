"""Run the kernel's YNL CLI (tools/net/ynl/cli.py) for many calls in one
Python process: under TCG, starting Python and parsing the YAML spec cost
seconds a call.  Started by tests/lib/api.bash (ynl_serve_start):

    python3 ynlserve.py YNL_DIR FIFO_DIR

A request, written to the FIFO FIFO_DIR/in, is NUL-terminated fields: the
network namespace (a /run/netns/ path, or empty for the server's own), then
cli.py's arguments.  The reply, on the FIFO FIFO_DIR/out, is one line
"STATUS N M" (exit status, lines of stdout, lines of stderr), then those
lines.  Each call runs cli.py's own main() in that namespace, as a process
of its own would, except that the parsed spec is reused (a copy each time,
while the file is unchanged).
"""

import contextlib
import copy
import ctypes
import io
import os
import sys
import traceback

CLONE_NEWNET = 0x40000000

ynl_dir, fifo_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(ynl_dir, 'tools/net/ynl'))
sys.argv = ['cli.py']
import cli  # noqa: E402
from lib import nlspec, ynl  # noqa: E402

libc = ctypes.CDLL(None, use_errno=True)
yaml_load = nlspec.yaml.safe_load
parsed = {}


def cached_load(stream):
    """yaml.safe_load of a spec file, parsed once per version of the file."""
    st = os.fstat(stream.fileno())
    key = (stream.name, st.st_ino, st.st_mtime_ns, st.st_size)
    if key not in parsed:
        parsed[key] = yaml_load(stream)
    return copy.deepcopy(parsed[key])


nlspec.yaml.safe_load = cached_load


# The server's own namespace, to return to after each call.
home = os.open('/proc/self/ns/net', os.O_RDONLY)


def enter(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), 'setns')


def call(netns, args):
    """Run cli.py's main() with ARGS in NETNS: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if netns:
                fd = os.open(netns, os.O_RDONLY)
                try:
                    enter(fd)
                finally:
                    os.close(fd)
            # A process of its own would look the family up again (its id
            # changes when the module is reloaded).
            ynl.genl_family_name_to_id = None
            sys.argv = ['cli.py'] + args
            cli.main()
        except SystemExit as e:
            # As the interpreter maps exit(): None is 0, a message is 1.
            if e.code is None or isinstance(e.code, int):
                status = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                status = 1
        except Exception:
            traceback.print_exc()
            status = 1
        finally:
            enter(home)
    return status, out.getvalue(), err.getvalue()


def lines(text):
    return text.splitlines(keepends=False)


while True:
    with open(os.path.join(fifo_dir, 'in'), 'rb') as f:
        fields = f.read().split(b'\0')[:-1]
    if not fields:
        continue
    status, out, err = call(fields[0].decode(), [a.decode() for a in fields[1:]])
    out, err = lines(out), lines(err)
    with open(os.path.join(fifo_dir, 'out'), 'w') as f:
        f.write(f'{status} {len(out)} {len(err)}\n')
        f.writelines(line + '\n' for line in out + err)
