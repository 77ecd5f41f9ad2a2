"""Pre-warmed kernels: a fresh kernel process per notebook without paying for imports each time.

A *zygote* is a small server process that imports, once, what the notebooks will import (the
modules and warm-up calls the book declares under `indikatorer: warm:` in `_quarto.yml`) and
then forks one child per kernel request. Each child is a new process — a fresh IPython kernel
with an empty namespace and execution count 1, its own working directory, environment and log —
that starts with those modules already in memory. Nothing is shared between two notebooks'
kernels except what the zygote had imported before either of them existed.

The zygote is started with the environment every kernel gets (`INDIKATORER_ROOT`,
`MPLBACKEND=Agg`, `PYTHONHASHSEED=0`, one BLAS thread), so that modules reading it at import
see the values a kernel would. It serves requests over a Unix socket, one connection per
kernel: the request (connection file, cwd, environment, log file), the child's pid back, and
the child's exit status when it ends. It exits when its parent process goes away, taking its
kernels with it (a lost worker leaves no kernel behind writing files) and removing its folder.

`kernel_manager_class(...)` gives the jupyter_client KernelManager class that papermill/nbclient
use to start such a kernel (see `indikatorer.publish.execute`). Its kernels talk over Unix
sockets in the zygote's folder rather than TCP ports (a port picked free could be taken by
another process before the kernel binds it).
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

# Every kernel gets these (the zygote too, so that imports see them): files only, no GUI;
# a fixed hash seed; one BLAS/OpenMP thread (the same sums in the same order on every run,
# and no oversubscription when several kernels run side by side).
KERNEL_ENV = {
    "MPLBACKEND": "Agg",
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
_STARTUP_TIMEOUT = 120.0
_MAX_SOCKET_PATH = 100  # a Unix socket's path: at most 107 bytes on Linux, 103 on macOS


# --- the zygote process (runs `python -m indikatorer.publish.kernels SOCKET WARM_JSON`) ---------

def _warm(targets: list[str]) -> None:
    """Import `module` or import and call `module:function` (no arguments) for each target."""
    for target in targets:
        module_name, _, function = target.partition(":")
        try:
            module = importlib.import_module(module_name)
            if function:
                getattr(module, function)()
        except Exception:  # the kernel will import it again and report the error properly
            traceback.print_exc()


def _run_kernel(request: dict, zygote_pid: int) -> None:
    """In the forked child: become the kernel the request describes, then exit."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]  # as for `python -m ipykernel_launcher` started in cwd
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    code = 0
    try:
        from ipykernel import kernelapp

        sys.argv = ["ipykernel_launcher", "-f", request["connection_file"],
                    f"--IPKernelApp.parent_handle={zygote_pid}",
                    "--HistoryManager.hist_file=:memory:"]
        kernelapp.launch_new_instance()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


# The kernel itself, imported once by the zygote too.
KERNEL_MODULES = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell"]


def _serve(socket_path: str, warm: list[str]) -> None:
    parent = os.getppid()
    ready = os.dup(1)
    os.dup2(2, 1)  # whatever the imports print goes to the log, not to the parent's pipe
    _warm(KERNEL_MODULES + warm)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    # A kernel that exits wakes the loop at once (SIGCHLD → a byte on `wakeup`), so that its
    # status reaches the client without waiting for the next poll.
    wakeup, wakeup_write = os.pipe()
    os.set_blocking(wakeup, False)
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped: the kernels go too
    os.write(ready, b"ready\n")  # the parent waits for this line
    os.close(ready)
    children: dict[int, socket.socket] = {}
    try:
        while os.getppid() == parent:
            readable, _, _ = select.select([listener, wakeup], [], [], 0.2)
            if wakeup in readable:
                while True:
                    try:
                        if not os.read(wakeup, 4096):
                            break
                    except BlockingIOError:
                        break
            if listener in readable:
                conn, _ = listener.accept()
                try:
                    request = json.loads(_read_line(conn)[0])
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    signal.set_wakeup_fd(-1)
                    os.close(wakeup)
                    os.close(wakeup_write)
                    listener.close()
                    for other in children.values():
                        other.close()
                    conn.close()
                    _run_kernel(request, os.getppid())
                try:
                    os.setpgid(pid, pid)  # also done by the child: no race on who is first
                except OSError:
                    pass
                children[pid] = conn
                _send(conn, f"{pid}\n")
            _reap(children)
    finally:
        for pid in list(children):  # parent gone (or stopped): no kernel outlives us
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap(children, block=True)
        listener.close()
        # Our folder (socket, log, the kernels' sockets): also when the parent went away
        # without stopping us.
        shutil.rmtree(os.path.dirname(socket_path), ignore_errors=True)


def _reap(children: dict, block: bool = False) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            _send(conn, f"exit {os.waitstatus_to_exitcode(status)}\n")
            conn.close()


def _send(conn: socket.socket, text: str) -> None:
    try:
        conn.sendall(text.encode("ascii"))
    except OSError:
        pass  # the client went away; the kernel is reaped all the same


def _read_line(conn: socket.socket) -> tuple[str, bytes]:
    """The first line on `conn`, and what came after it in the same read."""
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    line, _, rest = data.partition(b"\n")
    return line.decode("utf-8"), rest


# --- the client side (in the process that runs the notebooks) -------------------------------------

class ForkedKernel:
    """A Popen-like handle on one kernel forked by a zygote (what a provisioner needs)."""

    stdin = stdout = stderr = None

    def __init__(self, conn: socket.socket, pid: int, buffer: bytes = b""):
        self._conn, self.pid, self.returncode = conn, pid, None
        self._buffer = buffer
        self._parse()

    def _parse(self) -> None:
        if self._buffer.startswith(b"exit ") and self._buffer.endswith(b"\n"):
            self.returncode = int(self._buffer.split()[1])
            self._conn.close()

    def _read(self, timeout: float | None) -> None:
        if self.returncode is not None:
            return
        readable, _, _ = select.select([self._conn], [], [], timeout)
        if not readable:
            return
        chunk = self._conn.recv(4096)
        self._buffer += chunk
        if not chunk:  # zygote gone without telling: the kernel is gone with it
            self.returncode = -signal.SIGKILL
            self._conn.close()
        else:
            self._parse()

    def poll(self) -> int | None:
        self._read(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if left == 0.0:
                raise subprocess.TimeoutExpired("kernel", timeout)
            self._read(left if left is not None else 1.0)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.killpg(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _socket_folder() -> str:
    """A new private folder for the zygote's and its kernels' sockets: in the temporary folder,
    or in /tmp where the temporary folder's path is too long for a socket's name."""
    folder = tempfile.mkdtemp(prefix="indikatorer-k-")
    if len(folder) + len("/zygote.sock") > _MAX_SOCKET_PATH and os.path.isdir("/tmp"):
        os.rmdir(folder)
        folder = tempfile.mkdtemp(prefix="indikatorer-k-", dir="/tmp")
    return folder


class Zygote:
    """A running zygote process (see the module docstring)."""

    def __init__(self, project_root: Path, warm: list[str]):
        self._dir = _socket_folder()
        self._kernels = itertools.count(1)
        self.socket_path = os.path.join(self._dir, "zygote.sock")
        env = {**os.environ, **KERNEL_ENV, "INDIKATORER_ROOT": str(project_root)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "indikatorer.publish.kernels", self.socket_path,
             json.dumps(list(warm))],
            env=env, cwd=self._dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(os.path.join(self._dir, "zygote.log"), "wb"))
        self._ready = False
        self._lock = threading.Lock()

    def _wait_ready(self) -> None:
        with self._lock:
            if self._ready:
                return
            readable, _, _ = select.select([self.process.stdout], [], [], _STARTUP_TIMEOUT)
            line = self.process.stdout.readline() if readable else b""
            if line.strip() != b"ready":
                log = Path(self._dir, "zygote.log").read_text("utf-8", "replace")[-2000:]
                raise RuntimeError(f"the kernel starter did not start:\n{log}")
            self._ready = True

    def launch(self, *, connection_file: str, cwd: str, env: dict, log: str) -> ForkedKernel:
        self._wait_ready()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(self.socket_path)
        request = {"connection_file": connection_file, "cwd": cwd, "env": env, "log": log}
        conn.sendall((json.dumps(request) + "\n").encode("utf-8"))
        line, rest = _read_line(conn)
        if not line.strip().isdigit():
            conn.close()
            raise RuntimeError("the kernel starter did not start a kernel")
        return ForkedKernel(conn, int(line), rest)

    def socket_name(self) -> str:
        """A new, short path in this zygote's folder for a kernel's sockets."""
        return os.path.join(self._dir, f"k{next(self._kernels)}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        shutil.rmtree(self._dir, ignore_errors=True)  # its socket, log and kernels' sockets


_zygotes: dict[tuple, Zygote] = {}
_zygotes_lock = threading.Lock()


def zygote_for(project_root: str, warm: list[str], key: str) -> Zygote:
    """This process's zygote for a project; `key` (a hash of the data and code) changes when
    what the zygote preloaded would be stale, and then a new one replaces the old."""
    with _zygotes_lock:
        for old_key in [k for k in _zygotes if k[0] == project_root and k != (project_root, key)]:
            _zygotes.pop(old_key).stop()
        zygote = _zygotes.get((project_root, key))
        if zygote is None or not zygote.alive():
            zygote = _zygotes[(project_root, key)] = Zygote(Path(project_root), warm)
        return zygote


def stop_all() -> None:
    """Stop this process's zygotes (the build calls it when it is done)."""
    with _zygotes_lock:
        while _zygotes:
            _zygotes.popitem()[1].stop()


# --- the kernel manager nbclient uses -------------------------------------------------------------

def kernel_manager_class(zygote: Zygote, *, cwd: str, env: dict, log: str):
    """A jupyter_client KernelManager class whose kernels are forked by `zygote`."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class PrewarmedProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd, **kwargs):
            kernel_env = {**kwargs.get("env", {}), **env}
            self.process = zygote.launch(connection_file=self.parent.connection_file, cwd=cwd,
                                         env=kernel_env, log=log)
            self.pid = self.pgid = self.process.pid
            self.cwd = cwd
            return self.connection_info

        async def wait(self):
            """As LocalProvisioner's, polling every 10 ms instead of 100 ms."""
            import asyncio

            if self.process is None:
                return 0
            while self.process.poll() is None:
                await asyncio.sleep(0.01)
            code, self.process = self.process.returncode, None
            return code

    class PrewarmedKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            if self.provisioner is None:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or os.urandom(8).hex()
                # Unix sockets, not TCP ports: a port picked free here could be taken by another
                # build before the kernel binds it (seen about once in thirty builds side by
                # side). Where the path is too long for a socket, TCP stays (execute.py retries).
                ip = zygote.socket_name()
                if len(ip) <= _MAX_SOCKET_PATH - 4:  # the kernel appends "-<n>" to it
                    self.transport, self.ip = "ipc", ip
                self.provisioner = PrewarmedProvisioner(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            return await super()._async_pre_start_kernel(**kw)

    return PrewarmedKernelManager


if __name__ == "__main__":
    _serve(sys.argv[1], json.loads(sys.argv[2]))
