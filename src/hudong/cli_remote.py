"""The command line while `hudong serve` runs: commands are sent to the server over a local socket.

DuckDB lets one process at a time hold a database file, and a running server holds its workspace's. So that
`hudong metrics`, `hudong import`, `hudong forget` … keep working beside it, the server listens on a Unix socket
(mode 0600, owner only) and runs the same click commands in its own process, on a DuckDB cursor of its own (a
separate connection to the same database: MVCC, so the web app keeps serving meanwhile and sees the result when the
command commits). The client sends its arguments, working directory and (for ``--password-stdin``) its standard
input, and relays the command's output and exit code.

    DIR/.hudong-server.json   {"pid": …, "socket": "…"}: written by the server, removed when it stops

Commands run one at a time in the server. Relative paths are taken from the client's working directory. A command
that was sent keeps running in the server if the client is interrupted.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import io
import json
import os
import socket
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from hudong.store.workspace import Workspace

SERVER_FILE = ".hudong-server.json"

# Set in the server's command threads: the client's working directory, and how to get the server's workspace.
CLIENT_CWD: contextvars.ContextVar[str | None] = contextvars.ContextVar("hudong_client_cwd", default=None)
SERVER_WORKSPACE: contextvars.ContextVar[Callable[[], Any] | None] = contextvars.ContextVar(
    "hudong_server_workspace", default=None
)


class Delegate(Exception):
    """Raised by the CLI when a server holds the workspace: ``main`` sends the command to it instead."""

    def __init__(self, socket_path: str, pid: int):
        super().__init__(socket_path)
        self.socket_path, self.pid = socket_path, pid


def socket_path_for(ws_dir: Path) -> str:
    """``DIR/.hudong.sock``, or a short path in the temp dir when DIR is too long for a Unix socket (108 bytes)."""
    here = str(ws_dir.resolve() / ".hudong.sock")
    if len(here.encode()) < 100:
        return here
    digest = hashlib.sha256(str(ws_dir.resolve()).encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"hudong-{os.getuid()}-{digest}.sock")


def find_server(ws_dir: Path) -> tuple[str, int] | None:
    """(socket path, pid) of a live server on this workspace, or None."""
    try:
        info = json.loads((ws_dir / SERVER_FILE).read_text(encoding="utf-8"))
        path, pid = str(info["socket"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        s.connect(path)
        return path, pid
    return None


# ---- client ---------------------------------------------------------------------------------------------


def run_remote(delegate: Delegate, argv: list[str]) -> int:
    """Send ``argv`` to the server and relay its output; its exit code."""
    stdin = sys.stdin.read() if "--password-stdin" in argv and not sys.stdin.isatty() else None
    request = {"argv": argv, "cwd": os.getcwd(), "stdin": stdin}
    print(f"(the workspace is held by `hudong serve`, pid {delegate.pid}: running the command there)", file=sys.stderr)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(delegate.socket_path)
        s.sendall(json.dumps(request, ensure_ascii=False).encode() + b"\n")
        with s.makefile("r", encoding="utf-8") as f:
            for line in f:
                msg = json.loads(line)
                if "out" in msg:
                    sys.stdout.write(msg["out"])
                    sys.stdout.flush()
                elif "err" in msg:
                    sys.stderr.write(msg["err"])
                    sys.stderr.flush()
                elif "exit" in msg:
                    return int(msg["exit"])
    print("error: the server closed the connection before the command ended", file=sys.stderr)
    return 1


# ---- server ---------------------------------------------------------------------------------------------


class _Router(io.TextIOBase):
    """sys.stdout / sys.stderr of the server process: a command thread writes to its client, others as before."""

    def __init__(self, original: IO[str]):
        self.original = original
        self.local = threading.local()

    def write(self, text: str) -> int:
        target = getattr(self.local, "target", None)
        if target is None:
            return self.original.write(text)
        target(text)
        return len(text)

    def flush(self) -> None:
        if getattr(self.local, "target", None) is None:
            self.original.flush()

    def isatty(self) -> bool:  # a command's output goes to a socket: no progress bars, no colours
        return False if getattr(self.local, "target", None) is not None else self.original.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def fileno(self) -> int:
        return self.original.fileno()


class _StdinRouter(io.TextIOBase):
    def __init__(self, original: IO[str]):
        self.original = original
        self.local = threading.local()

    def _src(self) -> IO[str]:
        return getattr(self.local, "source", None) or self.original

    def read(self, size: int | None = -1) -> str:
        return self._src().read(size if size is not None else -1)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return self._src().readline(size if size is not None else -1)

    def isatty(self) -> bool:
        return False if getattr(self.local, "source", None) is not None else self.original.isatty()


@contextlib.contextmanager
def _routed() -> Iterator[tuple[_Router, _Router, _StdinRouter]]:
    out, err, inp = _Router(sys.stdout), _Router(sys.stderr), _StdinRouter(sys.stdin)
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, inp  # type: ignore[assignment]
    try:
        yield out, err, inp
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved


class CommandServer:
    """Serves CLI commands for the workspace of a running web app (``state``: ``hudong.web.app.WebState``)."""

    def __init__(self, state: Any, run: Callable[[list[str]], int]):
        self.state, self.run = state, run
        self.ws_dir = Path(state.ws.path)
        self.path = socket_path_for(self.ws_dir)
        self.one_at_a_time = threading.Lock()
        self.sock: socket.socket | None = None
        self.thread: threading.Thread | None = None
        self._routes: Any = None

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is the owner's only: it runs commands with the server's rights
        try:
            sock.bind(self.path)
        finally:
            os.umask(old)
        sock.listen(8)
        self.sock = sock
        self._routes = _routed()
        self.out, self.err, self.inp = self._routes.__enter__()
        (self.ws_dir / SERVER_FILE).write_text(json.dumps({"pid": os.getpid(), "socket": self.path}), encoding="utf-8")
        self.thread = threading.Thread(target=self._accept, name="hudong-cli-socket", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            info = json.loads((self.ws_dir / SERVER_FILE).read_text(encoding="utf-8"))
            if info.get("pid") == os.getpid():
                (self.ws_dir / SERVER_FILE).unlink()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        if self._routes is not None:
            self._routes.__exit__(None, None, None)
            self._routes = None

    def _accept(self) -> None:
        assert self.sock is not None
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed by stop()
            threading.Thread(target=self._serve, args=(conn,), name="hudong-cli-command", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                line = conn.makefile("r", encoding="utf-8").readline()
                if not line:
                    return  # a liveness probe (find_server)
                req = json.loads(line)
                argv, cwd = [str(a) for a in req["argv"]], str(req["cwd"])
            except (OSError, ValueError, KeyError, TypeError):
                return
            lock = threading.Lock()

            def send(kind: str) -> Callable[[str], None]:
                def write(text: str) -> None:
                    with lock, contextlib.suppress(OSError):
                        conn.sendall(json.dumps({kind: text}, ensure_ascii=False).encode() + b"\n")

                return write

            with self.one_at_a_time:
                code = self._execute(argv, cwd, req.get("stdin"), send("out"), send("err"))
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps({"exit": code}).encode() + b"\n")

    def _execute(self, argv: list[str], cwd: str, stdin: str | None, out: Callable, err: Callable) -> int:
        st = self.state

        def workspace() -> Workspace:
            with st.lock:
                cursor = st.ws.con.cursor()
            return Workspace(st.ws.path, cursor, st.ws.config)

        self.out.local.target, self.err.local.target = out, err
        self.inp.local.source = io.StringIO(stdin or "")
        tokens = (CLIENT_CWD.set(cwd), SERVER_WORKSPACE.set(workspace))
        try:
            return self.run(argv)
        except BaseException:  # noqa: BLE001 - the client must hear of it, the server must go on
            err(traceback.format_exc())
            return 2
        finally:
            CLIENT_CWD.reset(tokens[0])
            SERVER_WORKSPACE.reset(tokens[1])
            self.out.local.target = self.err.local.target = None
            self.inp.local.source = None
            st.data_changed()  # the command may have written: the next request re-reads the data version
