"""SIGTERM that comes while the main thread queues an event is held back until it is queued.

Raised in between, the exit would leave a ``seq`` no event uses: a gap the session's
``event_count`` would show. The handler costs recording nothing: it looks at what the
main thread was running and, inside a guarded function, sends the signal again a moment
later. Each case runs in its own process (a real signal, a real handler).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, time
    from benchtrail.agents.sigterm import SIGTERM_EXIT, install_sigterm_exit

    install_sigterm_exit()

    def queue():
        os.kill(os.getpid(), signal.SIGTERM)  # its handler runs before this function returns
        total = 0
        for n in range(1000):
            total += n
        print("queued", flush=True)

    if sys.argv[1] == "guarded":
        SIGTERM_EXIT.guard(queue)
    try:
        queue()
        time.sleep(30)
        print("no exit", flush=True)
    except SystemExit as exit:
        print("exit", exit.code, flush=True)
        raise
    """
)


def _run(mode: str) -> tuple[int, list[str]]:
    child = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return child.returncode, child.stdout.split("\n")[:-1]


def test_sigterm_inside_a_guarded_function_exits_right_after_it_returns():
    status, lines = _run("guarded")
    assert lines == ["queued", f"exit {128 + signal.SIGTERM}"]
    assert status == 128 + signal.SIGTERM


def test_sigterm_elsewhere_exits_at_once():
    status, lines = _run("unguarded")
    assert lines == [f"exit {128 + signal.SIGTERM}"]
    assert status == 128 + signal.SIGTERM
