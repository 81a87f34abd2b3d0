"""Start, stop and check a real Neo4j 5.26 Community server without Docker.

The Maven project shipped in the package (``provgraph/neo4j_maven``, ``neo4j-local/`` in a
checkout) runs Neo4j in-process in one JVM with Bolt on 127.0.0.1; this module builds it
(Maven Central is the only download), starts it detached, waits until Bolt answers, and stops
it with SIGTERM (a clean database shutdown). In a checkout it builds in place; from an
installed package it builds a copy in ``$XDG_CACHE_HOME/provgraph/neo4j-local`` and keeps the
database in ``$XDG_DATA_HOME/provgraph/neo4j-PORT``.

>>> LocalNeo4j(port=17687).uri
'bolt://127.0.0.1:17687'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from provgraph.errors import ProvgraphError

MAIN_CLASS = "io.provgraph.neo4jlocal.Neo4jLocal"
JVM_FLAGS = [
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]


class LauncherError(ProvgraphError):
    """The local Neo4j could not be built, started or stopped."""


PACKAGED = Path(__file__).resolve().parent / "neo4j_maven"
"""The Maven project as shipped: a link to ``neo4j-local/`` in a checkout, files in a wheel."""


def _xdg(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable) or Path.home() / default) / "provgraph"


def _in_checkout() -> bool:
    return (Path(__file__).resolve().parent / "neo4j_maven").is_symlink()


def find_project() -> Path:
    """The ``neo4j-local`` Maven project to build and run: ``$PROVGRAPH_NEO4J_LOCAL``, else
    the checkout's ``neo4j-local/``, else a copy of the packaged project in the user's cache
    (refreshed when the package ships other sources)."""
    if os.environ.get("PROVGRAPH_NEO4J_LOCAL"):
        return Path(os.environ["PROVGRAPH_NEO4J_LOCAL"]).resolve()
    if not (PACKAGED / "pom.xml").is_file():
        raise LauncherError(f"the Neo4j launcher's Maven project is missing from {PACKAGED};"
                            " reinstall provgraph or set PROVGRAPH_NEO4J_LOCAL")
    if _in_checkout():
        return PACKAGED.resolve()
    copy = _xdg("XDG_CACHE_HOME", ".cache") / "neo4j-local"
    for source in [PACKAGED / "pom.xml", *(PACKAGED / "src").rglob("*.java")]:
        target = copy / source.relative_to(PACKAGED)
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return copy


def accepts(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections at ``host:port`` (within a second)."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class LocalNeo4j:
    """One local Neo4j server: its port, home (data, logs, pid file) and memory caps."""

    port: int = 7687
    home: Path | None = None
    heap: str = "1g"
    page_cache_mb: int = 128
    #: With a password, authentication is on and user ``neo4j`` gets it; without, it is off.
    password: str | None = None

    @property
    def uri(self) -> str:
        """The Bolt URI the server answers on."""
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def project(self) -> Path:
        """The Maven project directory."""
        return find_project()

    @property
    def state(self) -> Path:
        """Where data, log and pid file live (default ``neo4j-local/target/run-PORT`` in a
        checkout, ``$XDG_DATA_HOME/provgraph/neo4j-PORT`` when installed)."""
        if self.home is not None:
            return self.home
        if _in_checkout() or os.environ.get("PROVGRAPH_NEO4J_LOCAL"):
            return self.project / "target" / f"run-{self.port}"
        return _xdg("XDG_DATA_HOME", ".local/share") / f"neo4j-{self.port}"

    @property
    def pid_file(self) -> Path:
        """The pid file of a running server."""
        return self.state / "neo4j.pid"

    @property
    def log_file(self) -> Path:
        """The server's console log."""
        return self.state / "neo4j.log"

    def build(self) -> None:
        """Compile the launcher and copy Neo4j's jars (skipped when already built)."""
        project = self.project
        marker = project / "target" / "dependency" / ".complete"
        sources = [project / "pom.xml", *project.rglob("*.java")]
        if marker.exists() and all(s.stat().st_mtime <= marker.stat().st_mtime for s in sources):
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise LauncherError("Maven (mvn) is not installed; it builds the local Neo4j")
        done = subprocess.run(
            [mvn, "-q", "-B", "package", "dependency:copy-dependencies"],
            cwd=project, capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
            raise LauncherError("Maven build of neo4j-local failed:\n" + "\n".join(tail))
        marker.touch()

    def pid(self) -> int | None:
        """The pid of the running server, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def answers(self) -> bool:
        """Whether something accepts connections on the Bolt port."""
        return accepts(self.port)

    def start(self, timeout: float = 180.0) -> str:
        """Build if needed, start detached, wait for the readiness line; return the URI."""
        if self.pid() is not None and self.answers():
            return self.uri
        if self.answers():
            raise LauncherError(f"port {self.port} is already taken by another process")
        self.build()
        java = shutil.which("java", path=os.path.join(os.environ.get("JAVA_HOME", ""), "bin")
                            ) or shutil.which("java")
        if java is None:
            raise LauncherError("Java 17+ is not installed; it runs the local Neo4j")
        self.state.mkdir(parents=True, exist_ok=True)
        target = self.project / "target"
        classpath = os.pathsep.join([str(target / "classes"), str(target / "dependency" / "*")])
        command = [
            java, f"-Xmx{self.heap}", "-Xms256m", *JVM_FLAGS, "-cp", classpath, MAIN_CLASS,
            str(self.state / "data"), str(self.port), str(self.page_cache_mb),
        ]
        if self.password:
            command.append(self.password)
        with open(self.log_file, "w") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise LauncherError(
                    f"local Neo4j exited with {process.returncode}; see {self.log_file}:\n"
                    + self._log_tail()
                )
            if "NEO4J-LOCAL READY" in self.log_file.read_text(errors="replace") and self.answers():
                return self.uri
            time.sleep(0.5)
        self.stop()
        raise LauncherError(f"local Neo4j not ready after {timeout:.0f}s; see {self.log_file}")

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server with SIGTERM (clean shutdown), SIGKILL after ``timeout``.

        Returns whether a server was running.
        """
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid() is not None:
            # Reap it if it is our child, so it does not linger as a zombie.
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.2)
        if self.pid() is not None:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> bool:
        """Stop the server with SIGKILL at once (a crash: no shutdown runs); Neo4j recovers
        from its transaction log at the next start. Returns whether one was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        deadline = time.monotonic() + 30
        while self.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
