"""The lineage explorer's first paint on a benchmark store: the page opened in headless
Chromium (Debian's chromium and chromium-driver) on a node's one-hop neighbourhood, timed
from navigation start until the graph is drawn and listed (``window.explorerPaintedAt``).

Used by bench/run.py; nothing here asserts a time.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from typing import Any

import provgraph
from provgraph.server import create_app


def first_paint(graph: provgraph.Graph, node: str, direction: str,
                runs: int = 3) -> dict[str, float] | None:
    """Median first paint (ms) of ``/?id=node&direction=...`` and of the neighbourhood API
    call alone, or None where chromium or chromedriver is missing."""
    import uvicorn

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_app(graph), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver: Any = webdriver.Chrome(service=Service(driver_path), options=options)
    paints, calls = [], []
    try:
        for _ in range(runs):
            driver.get("about:blank")
            driver.get(f"http://127.0.0.1:{port}/?id={node}&direction={direction}")
            paints.append(WebDriverWait(driver, 120).until(
                lambda d: d.execute_script("return window.explorerPaintedAt")))
            start = time.perf_counter()
            graph.neighbourhood(node, direction=direction)  # type: ignore[arg-type]
            calls.append((time.perf_counter() - start) * 1000)
        shown = driver.execute_script(
            "return document.querySelectorAll('#node-list tbody tr').length")
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(10)
        shutil.rmtree(profile, ignore_errors=True)
    return {"paint_ms": sorted(paints)[len(paints) // 2],
            "api_ms": sorted(calls)[len(calls) // 2], "rows": float(shown)}
