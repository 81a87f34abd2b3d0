"""The lineage explorer (page ``/`` of ``provgraph serve``): its read API on both backends,
and the page itself in a real headless Chromium driven by Selenium with Debian's
chromium-driver — a deep link, the node list and its opaque marker, expanding, the as-of
slider, why highlighting, exports and a screenshot."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import provgraph
from provgraph.graph import Graph
from provgraph.server import EXPLORER, create_app

HUB = {"id": "hub-event", "nodes": [{"id": "hub", "kind": "entity", "type": "Dataset"}] + [
    {"id": f"user-{i:02d}", "kind": "entity", "type": "Model"} for i in range(60)],
    "relations": [{"relation": "wasDerivedFrom", "from": f"user-{i:02d}", "to": "hub"}
                  for i in range(60)]}
CYCLE = {"id": "cycle-event", "nodes": [
    {"id": "cyc:A", "kind": "entity", "type": "Model", "attributes": {"tokenizer": "bpe"}},
    {"id": "cyc:B", "kind": "entity", "type": "Model", "attributes": {"tokenizer": "bpe"}}],
    "relations": [{"relation": "wasDerivedFrom", "from": "cyc:A", "to": "cyc:B",
                   "copies": {"tokenizer": "tokenizer"}},
                  {"relation": "wasDerivedFrom", "from": "cyc:B", "to": "cyc:A",
                   "copies": {"tokenizer": "tokenizer"}}]}
LATE = {"id": "late-event", "nodes": [{"id": "model:late", "kind": "entity", "type": "Model"}],
        "relations": [{"relation": "wasDerivedFrom", "from": "model:late", "to": "S1-int8"}]}


# -- the read API the page uses, on both backends ---------------------------------------

@pytest.fixture
def client(graph: Graph) -> TestClient:
    graph.ingest(provgraph.demo.demo_events())
    graph.ingest(LATE)
    return TestClient(create_app(graph, token="w", read_token="r"))


def _get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers={"Authorization": "Bearer r"})
    assert response.status_code == 200, response.text
    return response.json()


def test_neighbourhood_is_capped_and_counts_the_rest(client: TestClient) -> None:
    full = _get(client, "/api/v1/neighbourhood", id="S1", direction="down", depth=1)
    ids = {n["id"] for n in full["nodes"]}
    assert ids == {"S1", "M1", "d1"}
    assert full["more"] == {"down": {}}
    assert {(e["from"], e["relation"], e["to"]) for e in full["edges"]} >= {
        ("S1", "wasDerivedFrom", "M1"), ("S1", "wasGeneratedBy", "d1")}
    capped = _get(client, "/api/v1/neighbourhood", id="S1", direction="down", depth=1,
                  limit=1)
    assert [n["id"] for n in capped["nodes"]] == ["S1", "M1"]
    assert capped["more"] == {"down": {"S1": 1}}
    rest = _get(client, "/api/v1/neighbourhood", id="S1", direction="down", depth=1,
                limit=2, offset=1)
    assert {n["id"] for n in rest["nodes"]} == {"S1", "d1"}
    assert rest["more"] == {"down": {}}  # nothing after this page
    deeper = _get(client, "/api/v1/neighbourhood", id="S1", direction="down", depth=3)
    assert "alice" in {n["id"] for n in deeper["nodes"]}  # agents are shown
    both = _get(client, "/api/v1/neighbourhood", id="S1", direction="both", depth=1)
    depths = {n["id"]: n["depth"] for n in both["nodes"]}
    assert depths["M1"] == 1 and depths["S1-int8"] == -1 and depths["S1"] == 0


def test_neighbourhood_as_of_and_bad_requests(client: TestClient) -> None:
    times = _get(client, "/api/v1/timeline")
    assert len(times) >= 2 and times == sorted(times, key=lambda t: t["seq"])
    before = times[-2]["recorded_at"]
    now = _get(client, "/api/v1/neighbourhood", id="S1-int8", direction="up")
    assert "model:late" in {n["id"] for n in now["nodes"]}
    then = _get(client, "/api/v1/neighbourhood", id="S1-int8", direction="up", as_of=before)
    assert "model:late" not in {n["id"] for n in then["nodes"]}
    assert then["as_of"] == before
    headers = {"Authorization": "Bearer r"}
    assert client.get("/api/v1/neighbourhood", params={"id": "nope"},
                      headers=headers).status_code == 404
    assert client.get("/api/v1/neighbourhood", params={"id": "S1", "limit": 0},
                      headers=headers).status_code == 422
    assert client.get("/api/v1/neighbourhood", params={"id": "S1"}).status_code == 401


def test_search_by_prefix_and_type(client: TestClient) -> None:
    assert [n["id"] for n in _get(client, "/api/v1/search", q="S1")] == ["S1", "S1-int8"]
    models = _get(client, "/api/v1/search", q="model", limit=500)
    assert "model:late" in {n["id"] for n in models}
    assert all(n["type"] == "Model" or n["id"].startswith("model") for n in models)
    assert _get(client, "/api/v1/search", q="   ") == []


def test_search_by_type_means_the_same_on_both_backends(graph: Graph) -> None:
    graph.ingest({"id": "v1", "nodes": [{"id": "tc", "kind": "entity", "type": "Dataset"}]})
    before = graph.timeline()[-1]["recorded_at"]
    graph.ingest({"id": "v2", "nodes": [{"id": "tc", "kind": "entity", "type": "Model"}]})
    assert [n["id"] for n in graph.search("model")] == ["tc"]
    assert graph.search("Model", as_of=before) == []  # a Dataset then
    assert graph.search("Dataset") == []  # no longer one
    assert [n["type"] for n in graph.search("t", as_of=before)] == ["Dataset"]  # by id


def test_node_panel_and_shown_export(client: TestClient) -> None:
    node = _get(client, "/api/v1/node", id="S1", limit=1)
    assert node["id"] == "S1" and len(node["relations"]) == 1
    assert node["relations_total"] >= 3 and node["history"][0]["version"] == 1
    whole = _get(client, "/api/v1/node", id="S1", limit=10**12)
    assert len(whole["relations"]) == whole["relations_total"] == node["relations_total"]
    response = client.post("/api/v1/export", json={"ids": ["S1", "M1", "B"]},
                           headers={"Authorization": "Bearer r"})
    assert response.status_code == 200
    document = response.json()
    assert set(document["entity"]) == {"pgid:S1", "pgid:M1", "pgid:B"}
    derivations = document["wasDerivedFrom"].values()
    assert {(d["prov:generatedEntity"], d["prov:usedEntity"]) for d in derivations} == {
        ("pgid:S1", "pgid:M1"), ("pgid:M1", "pgid:B")}


def test_page_and_vendored_scripts_are_served_locally(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "lineage explorer" in page.text
    sources = [s for s in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page.text)
               if not s.startswith("data:")]
    assert sources and all(s.startswith("/explorer/") for s in sources)  # no CDN
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert client.get("/explorer/../server.py").status_code == 404


def test_vendored_files_match_their_recorded_sums() -> None:
    table = (EXPLORER / "vendor" / "VENDORED.md").read_text()
    rows = re.findall(r"^\| (\S+\.js) \|.*\| ([0-9a-f]{64}) \|$", table, re.M)
    assert {name for name, _ in rows} == {p.name for p in (EXPLORER / "vendor").glob("*.js")}
    for name, digest in rows:
        assert hashlib.sha256((EXPLORER / "vendor" / name).read_bytes()).hexdigest() == digest
    licences = {p.name for p in (EXPLORER / "vendor").glob("LICENSE.*")}
    assert licences == {"LICENSE.cytoscape", "LICENSE.cytoscape-dagre", "LICENSE.dagre",
                        "LICENSE.graphlib"}


# -- the page in a real browser ---------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``provgraph serve`` on the demo lineage plus a later event, with a read token."""
    import uvicorn

    graph = provgraph.connect(f"sqlite:///{tmp_path / 'lineage.sqlite'}")
    graph.ingest(provgraph.demo.demo_events())
    graph.ingest(HUB)
    graph.ingest(CYCLE)
    time.sleep(0.01)
    graph.ingest(LATE)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(graph, token="w", read_token="r"),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        graph.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium or chromedriver is missing (.ci/run installs them)")
        pytest.skip("apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path)})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_script_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def _listed(driver: Any) -> dict[str, bool]:
    """The accessible node list, as a screen reader gets it: id -> opaque (read in one
    script, since the page re-renders the list as answers arrive)."""
    rows = driver.execute_script(
        "return [...document.querySelectorAll('#node-list tbody tr[data-id]')]"
        ".map(r => [r.dataset.id, r.dataset.opaque === 'true', r.cells[4].textContent])")
    return {node_id: opaque and "unknown lineage beyond" in text
            for node_id, opaque, text in rows}


def _wait(driver: Any, condition: Any, what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 15).until(lambda d: condition(d), message=what)


def _click(driver: Any, element_id: str, what: str) -> None:
    """Click the element with ``element_id`` once it is there, again if the page redrew it
    between finding and clicking (selecting a node rebuilds its panel when its details
    arrive, which may be after an earlier panel's button was found)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def attempt(d: Any) -> bool:
        try:
            d.find_element(By.ID, element_id).click()
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return True

    _wait(driver, attempt, what)


def test_explorer_in_headless_chromium(served: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    # A deep link to a model, with the read token in the fragment (never sent to the server).
    browser.get(f"{served}/?id=S1#token=r")
    listed = _wait(browser, lambda d: len(_listed(d)) >= 3 and _listed(d), "the node list")
    assert set(listed) == {"S1", "M1", "d1"}
    assert browser.execute_script("return window.explorer.cy.nodes().not('.more').length") == 3
    assert "S1" in browser.find_element(By.CSS_SELECTOR, "#panel h3").text

    # The opaque marker: B, the base model, is opaque (its own lineage is unknown).
    browser.find_element(By.ID, "depth").send_keys(Keys.BACKSPACE, "3", Keys.TAB)
    _wait(browser, lambda d: "B" in _listed(d), "the deeper view")
    listed = _listed(browser)
    assert listed["B"] is True and listed["M1"] is False
    assert browser.execute_script(
        "return window.explorer.cy.getElementById('B').hasClass('opaque')")

    # Expand a node downstream: the list grows by what depends on it.
    browser.get(f"{served}/?id=S1")  # the token stays in this tab's session
    _wait(browser, lambda d: len(_listed(d)) == 3, "the one-hop view")
    browser.find_element(By.CSS_SELECTOR, "#node-list tr[data-id='S1'] button").click()
    _click(browser, "expand-down", "the panel's expand button")
    grown = _wait(browser, lambda d: len(_listed(d)) > 3 and _listed(d), "the expansion")
    assert {"S1-int8", "e1"} <= set(grown)
    browser.find_element(By.CSS_SELECTOR, "#node-list tr[data-id='S1'] button").click()
    _click(browser, "collapse", "the collapse button")
    _wait(browser, lambda d: set(_listed(d)) == {"S1", "M1", "d1"}, "the collapse")

    # A large fan-out shows 50 neighbours and one "+10 more" node, which loads the rest.
    browser.get(f"{served}/?id=hub&direction=up")
    _wait(browser, lambda d: len(_listed(d)) == 51, "the capped fan-out")
    assert browser.execute_script(
        "return window.explorer.cy.nodes('.more').map(n => n.data('label'))") == ["+10 more"]
    browser.find_element(By.CSS_SELECTOR, "#node-list tr.more button").click()
    _wait(browser, lambda d: len(_listed(d)) == 61, "the next page")
    assert browser.execute_script("return window.explorer.cy.nodes('.more').length") == 0

    # Impact of S1-int8 now holds the later model; one step back on the slider it does not.
    browser.find_element(By.ID, "direction-up").click()
    browser.get(f"{served}/?id=S1-int8&direction=up")
    _wait(browser, lambda d: "model:late" in _listed(d), "the impact view")
    slider = browser.find_element(By.ID, "asof")
    assert slider.get_attribute("value") == slider.get_attribute("max")  # now
    slider.send_keys(Keys.ARROW_LEFT)  # the last batch: the later event is there
    _wait(browser, lambda d: "batch" in d.find_element(By.ID, "asof-label").text, "a time")
    _wait(browser, lambda d: "model:late" in _listed(d), "the view at the last batch")
    slider.send_keys(Keys.ARROW_LEFT)  # the batch before it
    _wait(browser, lambda d: "model:late" not in _listed(d) and "S1-int8" in _listed(d),
          "the view before the later event")
    assert "as_of=" in browser.current_url  # the as-of view is a link too

    # why: the witness's sources are drawn and highlighted.
    browser.get(f"{served}/?id=S1-int8")
    _wait(browser, lambda d: "S1" in _listed(d), "the ancestry view")
    browser.find_element(By.ID, "why").click()
    label = _wait(browser, lambda d: d.find_element(By.ID, "why-label").text, "a witness")
    assert "witness 1 of 1" in label
    highlighted = set(browser.execute_script(
        "return window.explorer.cy.nodes('.hl').map(n => n.id())"))
    assert {"B", "repo@abc", "s1", "s3"} <= highlighted and "s2" not in highlighted

    # where: the chain the tokenizer was copied along, back to the base model.
    browser.find_element(By.ID, "where-attribute").send_keys("tokenizer")
    browser.find_element(By.ID, "where").click()
    label = _wait(browser, lambda d: d.find_element(By.ID, "where-label").text, "a chain")
    assert "set at B" in label
    assert set(browser.execute_script(
        "return window.explorer.cy.nodes('.hl').map(n => n.id())")) == {"S1-int8", "S1", "M1",
                                                                          "B"}

    # Exports: the drawing as SVG, and PROV-JSON of what is shown.
    svg = browser.execute_script("return window.explorer.svg()")
    assert svg.startswith("<svg") and ">s1<" in svg
    browser.find_element(By.ID, "export-prov").click()
    exported = _wait(browser, lambda d: list(tmp_path.glob("S1-int8.prov.json")), "a download")
    assert "pgid:s1" in exported[0].read_text()

    # where, when the copies go round in a cycle: no origin, said in words.
    browser.get(f"{served}/?id=cyc:A")
    _wait(browser, lambda d: "cyc:B" in _listed(d), "the cycle's view")
    browser.find_element(By.ID, "where-attribute").send_keys("tokenizer")
    browser.find_element(By.ID, "where").click()
    label = _wait(browser, lambda d: d.find_element(By.ID, "where-label").text, "a chain")
    assert "set nowhere (the copies form a cycle)" in label and "null" not in label
    browser.save_screenshot(str(tmp_path / "where-cycle.png"))

    shot = tmp_path / "explorer.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # no script error, no failed request, all along


# -- provgraph ui -------------------------------------------------------------------------

def test_ui_points_at_a_server_that_already_answers(served: str) -> None:
    from click.testing import CliRunner

    from provgraph.cli import main

    port = served.rsplit(":", 1)[1]
    result = CliRunner().invoke(main, ["ui", "S1", "--port", port, "--no-browser",
                                       "--read-token", "r"])
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{port}/?id=S1#token=r" in result.output


def test_ui_starts_a_server_when_none_answers(tmp_path: Path) -> None:
    import subprocess
    import sys
    import urllib.request

    uri = f"sqlite:///{tmp_path / 'ui.sqlite'}"
    port = _free_port()
    subprocess.run([sys.executable, "-m", "provgraph", "--uri", uri, "demo"], check=True,
                   capture_output=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "provgraph", "--uri", uri, "ui", "S1-int8", "--port",
         str(port), "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/?id=S1-int8" in line, line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as page:
            assert "lineage explorer" in page.read().decode()
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v1/neighbourhood?id=S1-int8") as answer:
            assert "S1" in {n["id"] for n in __import__("json").load(answer)["nodes"]}
    finally:
        process.terminate()
        process.wait(10)
