"""The installed package works outside a checkout: a wheel built from this tree, installed into
a fresh virtual environment and run from an empty temporary directory, starts, answers and
stops the local Neo4j (the Maven project ships inside the package)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(command: list[str], cwd: Path, env: dict[str, str],
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done


def test_neo4j_start_works_from_an_installed_wheel(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_DATA_HOME=str(tmp_path / "data"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    # Built from a copy, so the checkout gets no build/ folder.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", "target", "build", "*.egg-info", "__pycache__", ".hypothesis", "*_cache"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
          "-w", str(tmp_path / "dist"), str(source)], tmp_path, env)
    [wheel] = (tmp_path / "dist").glob("provgraph-*.whl")
    venv = tmp_path / "venv"
    # The dependencies come from this interpreter's site-packages; provgraph from the wheel.
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path, env)
    python, provgraph = str(venv / "bin" / "python"), str(venv / "bin" / "provgraph")
    _run([python, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], tmp_path, env)
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([python, "-c", "import provgraph; print(provgraph.__file__)"], work, env)
    assert where.stdout.startswith(str(venv)), where.stdout

    port = str(_free_port())
    try:
        started = _run([provgraph, "neo4j", "start", "--port", port], work, env, timeout=600)
        assert f"bolt://127.0.0.1:{port}" in started.stdout
        status = _run([provgraph, "neo4j", "status", "--port", port], work, env)
        assert "running" in status.stdout
        uri = f"bolt://127.0.0.1:{port}"
        _run([provgraph, "--uri", uri, "demo"], work, env)
        assert (tmp_path / "data" / "provgraph" / f"neo4j-{port}").is_dir()
        assert (tmp_path / "cache" / "provgraph" / "neo4j-local" / "pom.xml").is_file()
    finally:
        subprocess.run([provgraph, "neo4j", "stop", "--port", port], cwd=work, env=env,
                       capture_output=True, timeout=120, check=False)
