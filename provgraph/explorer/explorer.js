// The provgraph lineage explorer: draws a node's neighbourhood from the server's read API
// (/api/v1/neighbourhood, /node, /search, /timeline, /why, /where, /export) with
// cytoscape.js and a layered (dagre) layout. Everything it loads comes from this server.
"use strict";

(function () {
  cytoscape.use(cytoscapeDagre);

  const PAGE = 50;           // neighbours a node shows before a "+N more" node
  const PALETTE = ["#fde68a", "#a7f3d0", "#c7d2fe", "#fbcfe8", "#fecaca", "#bae6fd",
                   "#ddd6fe", "#d9f99d", "#fed7aa", "#e5e7eb"];
  const KIND_SHAPE = { entity: "ellipse", activity: "round-rectangle", agent: "pentagon" };

  const state = {
    focus: null, direction: "down", depth: 1, asOf: null, selected: null,
    timeline: [], witnesses: [], paths: [], witness: 0,
    owners: new Map(),      // node id -> Set of what added it ("focus" or a node id)
    expanded: new Map(),    // node id -> {down: [ids], up: [ids]} it added when expanded
    more: new Map(),        // "dir|id" -> hidden neighbour count
    shown: new Map(),       // "dir|id" -> how many neighbours have been loaded
    token: null,
  };

  const $ = (id) => document.getElementById(id);
  const status = (text, error) => {
    $("status").textContent = text;
    $("status").className = error ? "error" : "";
  };

  // -- talking to the server ------------------------------------------------------------

  function readToken() {
    const hash = new URLSearchParams(location.hash.slice(1));
    if (hash.get("token")) {
      sessionStorage.setItem("provgraph-token", hash.get("token"));
      history.replaceState(null, "", location.pathname + location.search);
    }
    state.token = sessionStorage.getItem("provgraph-token");
  }

  async function api(path, params, body) {
    const url = new URL(path, location.origin);
    for (const [key, value] of Object.entries(params || {})) {
      if (value === null || value === undefined) continue;
      for (const one of [].concat(value)) url.searchParams.append(key, one);
    }
    const headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body) headers["Content-Type"] = "application/json";
    const response = await fetch(url, { method: body ? "POST" : "GET", headers,
                                        body: body ? JSON.stringify(body) : undefined });
    if (response.status === 401) {
      const given = window.prompt("This server needs a token (a read token is enough):");
      if (given) {
        state.token = given;
        sessionStorage.setItem("provgraph-token", given);
        return api(path, params, body);
      }
    }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    }
    return path === "/api/v1/export" ? response.text() : response.json();
  }

  // -- the graph ------------------------------------------------------------------------

  function colour(type) {
    if (!type) return "#f1f5f9";
    let h = 0;
    for (const c of type) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return PALETTE[h % PALETTE.length];
  }

  const cy = cytoscape({
    container: $("graph"),
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: {
        label: "data(label)", "font-size": 11, "text-valign": "center", "text-wrap": "wrap",
        "text-max-width": 140, width: "label", height: "label", padding: 10,
        shape: "data(shape)", "background-color": "data(colour)", "border-width": 1.5,
        "border-color": "#52606d" } },
      { selector: "node.focus", style: { "border-width": 4, "border-color": "#2563eb" } },
      { selector: "node.opaque", style: { "border-style": "dashed", "border-width": 3,
                                          "border-color": "#b45309" } },
      { selector: "node.more", style: { shape: "round-rectangle", "background-color": "#fff",
                                        "border-style": "dotted", color: "#2563eb" } },
      { selector: "node:selected", style: { "overlay-color": "#2563eb",
                                            "overlay-opacity": 0.15 } },
      { selector: "edge", style: {
        width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
        "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1", label: "data(label)",
        "font-size": 9, color: "#616e7c", "text-rotation": "autorotate",
        "text-background-color": "#fff", "text-background-opacity": 0.8 } },
      { selector: ".faded", style: { opacity: 0.25 } },
      { selector: "node.hl", style: { "border-width": 4, "border-color": "#16a34a" } },
      { selector: "edge.hl", style: { width: 3, "line-color": "#16a34a",
                                      "target-arrow-color": "#16a34a" } },
      { selector: "node.conflict", style: { "border-width": 4, "border-color": "#dc2626" } },
    ],
  });

  function nodeData(n) {
    const label = (n.opaque ? "⊘ " : "") + n.id + (n.type ? "\n" + n.type : "");
    return { id: n.id, label, kind: n.kind, type: n.type, opaque: n.opaque, depth: n.depth,
             shape: KIND_SHAPE[n.kind] || "ellipse", colour: colour(n.type) };
  }

  function addNode(n, owner) {
    const owners = state.owners.get(n.id) || new Set();
    owners.add(owner);
    state.owners.set(n.id, owners);
    const existing = cy.getElementById(n.id);
    if (existing.nonempty()) return false;
    const added = cy.add({ group: "nodes", data: nodeData(n) });
    if (n.opaque) added.addClass("opaque");
    return true;
  }

  function addEdge(e) {
    const id = "e|" + e.from + "|" + e.relation + "|" + e.to + "|" + (e.role || "");
    if (cy.getElementById(id).nonempty()) return;
    if (cy.getElementById(e.from).empty() || cy.getElementById(e.to).empty()) return;
    cy.add({ group: "edges", data: { id, source: e.from, target: e.to, relation: e.relation,
                                     role: e.role,
                                     label: e.relation + (e.role ? " (" + e.role + ")" : "") } });
  }

  function setMore(direction, nodeId, hidden) {
    const key = direction + "|" + nodeId;
    const id = "more|" + key;
    cy.getElementById(id).remove();
    state.more.set(key, hidden);
    if (!hidden) return;
    cy.add({ group: "nodes", classes: "more",
             data: { id, label: "+" + hidden + " more", shape: "round-rectangle",
                     colour: "#fff", owner: nodeId, direction } });
    const [source, target] = direction === "down" ? [nodeId, id] : [id, nodeId];
    cy.add({ group: "edges", data: { id: "edge|" + id, source, target, label: "" } });
  }

  function merge(view, owner, offset) {
    // Add a neighbourhood answer; each node in it shows its first PAGE neighbours (the
    // root: those after ``offset``), so a "+N more" node loads from there.
    const added = [];
    for (const n of view.nodes) if (addNode(n, owner)) added.push(n.id);
    for (const e of view.edges) addEdge(e);
    for (const [direction, counts] of Object.entries(view.more || {})) {
      for (const [nodeId, hidden] of Object.entries(counts)) {
        const key = direction + "|" + nodeId;
        const loaded = nodeId === view.root ? offset + PAGE : PAGE;
        state.shown.set(key, Math.max(state.shown.get(key) || 0, loaded));
        setMore(direction, nodeId, hidden);
      }
    }
    return added;
  }

  function layout() {
    cy.layout({ name: "dagre", rankDir: "RL", nodeSep: 18, rankSep: 60, animate: false,
                fit: true, padding: 20 }).run();
  }

  // -- what is shown ----------------------------------------------------------------------

  async function show(focus, opts) {
    state.focus = focus;
    Object.assign(state, opts || {});
    remember();
    cy.elements().remove();
    state.owners.clear(); state.expanded.clear(); state.more.clear(); state.shown.clear();
    clearHighlights();
    status("Loading " + focus + " …");
    try {
      const view = await api("/api/v1/neighbourhood", {
        id: focus, direction: state.direction, depth: state.depth, limit: PAGE,
        as_of: state.asOf });
      merge(view, "focus", 0);
      cy.getElementById(focus).addClass("focus");
      layout();
      renderList();
      status(summary());
      window.explorerPaintedAt = performance.now();  // drawn and listed: the first paint
      await select(focus);
    } catch (error) {
      renderList();
      $("panel").replaceChildren();
      status(error.message, true);
      window.explorerPaintedAt = performance.now();
    }
  }

  function summary() {
    const count = cy.nodes().not(".more").length - 1;
    const when = state.asOf ? " as of " + state.asOf : "";
    const what = state.direction === "down" ? "ancestry" : "impact";
    return state.focus + ": " + what + " within " + state.depth + " hop(s)" + when +
           " — " + count + " node(s) shown";
  }

  async function expand(nodeId, direction) {
    const key = direction + "|" + nodeId;
    const offset = state.shown.get(key) || 0;  // the neighbours already loaded
    status("Expanding " + nodeId + " …");
    try {
      const view = await api("/api/v1/neighbourhood", {
        id: nodeId, direction, depth: 1, limit: PAGE, offset, as_of: state.asOf });
      const record = state.expanded.get(nodeId) || { down: [], up: [] };
      record[direction] = (record[direction] || []).concat(merge(view, nodeId, offset));
      state.expanded.set(nodeId, record);
      state.shown.set(key, offset + PAGE);
      setMore(direction, nodeId, (view.more[direction] || {})[nodeId] || 0);
      layout();
      renderList();
      status(summary());
    } catch (error) {
      status(error.message, true);
    }
  }

  function collapse(nodeId) {
    const record = state.expanded.get(nodeId);
    if (!record) return;
    state.expanded.delete(nodeId);
    for (const direction of ["down", "up"]) {
      for (const id of record[direction] || []) {
        const owners = state.owners.get(id);
        if (!owners) continue;
        owners.delete(nodeId);
        if (owners.size === 0 && id !== state.focus) {
          collapse(id);
          state.owners.delete(id);
          cy.getElementById(id).remove();
          for (const d of ["down", "up"]) cy.getElementById("more|" + d + "|" + id).remove();
        }
      }
      cy.getElementById("more|" + direction + "|" + nodeId).remove();
      state.shown.delete(direction + "|" + nodeId);
    }
    layout();
    renderList();
    status(summary());
  }

  // -- the side panel -------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  async function select(nodeId) {
    state.selected = nodeId;
    cy.nodes().unselect();
    cy.getElementById(nodeId).select();
    for (const row of document.querySelectorAll("#node-list tbody tr")) {
      row.classList.toggle("selected", row.dataset.id === nodeId);
    }
    const panel = $("panel");
    let node;
    try {
      node = await api("/api/v1/node", { id: nodeId, as_of: state.asOf, limit: 100 });
    } catch (error) {
      panel.replaceChildren(el("p", { class: "hint" }, error.message));
      return;
    }
    const facts = el("dl", {},
      el("dt", {}, "kind"), el("dd", {}, node.kind),
      el("dt", {}, "type"), el("dd", {}, node.type || "—"),
      el("dt", {}, "version"), el("dd", {}, String(node.version)),
      el("dt", {}, "recorded"), el("dd", {}, node.recorded_at));
    if (node.opaque) {
      facts.append(el("dt", {}, "opaque"),
                   el("dd", {}, "lineage unknown beyond this node" +
                      (node.opaque_reason ? ": " + node.opaque_reason : "")));
    }
    for (const [name, value] of Object.entries(node.attributes || {})) {
      facts.append(el("dt", {}, name),
                   el("dd", {}, typeof value === "string" ? value : JSON.stringify(value)));
    }
    const expanded = state.expanded.has(nodeId);
    const actions = el("div", { class: "actions" },
      el("button", { type: "button", id: "expand-up",
                     onclick: () => expand(nodeId, "down") }, "Expand upstream"),
      el("button", { type: "button", id: "expand-down",
                     onclick: () => expand(nodeId, "up") }, "Expand downstream"),
      expanded ? el("button", { type: "button", id: "collapse",
                                onclick: () => collapse(nodeId) }, "Collapse") : null,
      nodeId !== state.focus ? el("button", { type: "button", id: "refocus",
                                             onclick: () => show(nodeId) }, "Focus here")
                             : null);
    const relations = el("table", {}, el("thead", {}, el("tr", {},
      el("th", {}, "relation"), el("th", {}, "from"), el("th", {}, "to"), el("th", {}, "role"))));
    const body = el("tbody");
    for (const r of node.relations) {
      body.append(el("tr", {}, el("td", {}, r.relation), el("td", {}, r.from),
                     el("td", {}, r.to), el("td", {}, r.role || "")));
    }
    relations.append(body);
    const history = el("ol", { class: "history" });
    for (const v of node.history) {
      history.append(el("li", {}, "version " + v.version + " — " + v.recorded_at +
                        (v.retracted ? " (retracted)" : "")));
    }
    panel.replaceChildren(...[
      el("h3", {}, nodeId), facts, actions,
      el("h4", {}, "Relations (" + node.relations_total + ")"), relations,
      node.relations_total > node.relations.length
        ? el("p", { class: "hint" }, "first " + node.relations.length + " shown") : null,
      el("h4", {}, "Version history"), history].filter(Boolean));
  }

  // -- the accessible list ----------------------------------------------------------------

  function renderList() {
    const rows = cy.nodes().not(".more").map((n) => n.data())
      .sort((a, b) => Math.abs(a.depth || 0) - Math.abs(b.depth || 0) || (a.id < b.id ? -1 : 1));
    const body = $("node-list").tBodies[0];
    body.replaceChildren(...rows.map((n) => {
      const row = el("tr", { "data-id": n.id, "data-opaque": String(Boolean(n.opaque)) },
        el("td", {}, el("button", { type: "button", class: "link",
                                    onclick: () => select(n.id) }, n.id)),
        el("td", {}, n.kind || "unknown"), el("td", {}, n.type || ""),
        el("td", {}, String(n.depth === undefined ? "" : Math.abs(n.depth))),
        el("td", { class: n.opaque ? "opaque" : "" },
           n.opaque ? "opaque: unknown lineage beyond" : ""));
      if (n.id === state.selected) row.classList.add("selected");
      return row;
    }));
    for (const n of cy.nodes(".more")) {
      body.append(el("tr", { class: "more" }, el("td", { colspan: "5" },
        el("button", { type: "button", onclick: () => expand(n.data("owner"), n.data("direction")) },
           n.data("label") + " " + (n.data("direction") === "down" ? "upstream" : "downstream") +
           " of " + n.data("owner")))));
    }
  }

  // -- why and where --------------------------------------------------------------------

  function clearHighlights() {
    cy.elements().removeClass("hl faded conflict");
    $("why-label").textContent = "";
    $("where-label").textContent = "";
  }

  async function ensurePath(path) {
    // Draw the nodes of a path that are not shown yet, with the relations between them.
    for (const id of path) {
      if (cy.getElementById(id).nonempty()) continue;
      const node = await api("/api/v1/node", { id, as_of: state.asOf, limit: 500 });
      addNode({ id, kind: node.kind, type: node.type, opaque: node.opaque, depth: undefined },
              "focus");
      for (const r of node.relations) addEdge(r);
    }
    for (let i = 0; i + 1 < path.length; i++) {
      const drawn = cy.edges().filter((e) => e.data("source") === path[i] &&
                                             e.data("target") === path[i + 1]);
      if (drawn.empty()) {
        const node = await api("/api/v1/node", { id: path[i], as_of: state.asOf, limit: 500 });
        for (const r of node.relations) if (r.to === path[i + 1]) addEdge(r);
      }
    }
  }

  function highlight(paths, label) {
    cy.elements().removeClass("hl conflict").addClass("faded");
    for (const path of paths) {
      for (let i = 0; i < path.length; i++) {
        cy.getElementById(path[i]).removeClass("faded").addClass("hl");
        if (i + 1 < path.length) {
          cy.edges().filter((e) => e.data("source") === path[i] && e.data("target") === path[i + 1])
            .removeClass("faded").addClass("hl");
        }
      }
    }
    return label;
  }

  async function showWitness(index) {
    state.witness = index;
    const paths = Object.values(state.paths[index] || {});
    const witness = state.witnesses[index] || [];
    status("Drawing witness " + (index + 1) + " …");
    for (const path of paths) await ensurePath(path);
    if (!paths.length) await ensurePath(witness);
    layout();
    renderList();
    highlight(paths.length ? paths : witness.map((id) => [id]));
    $("why-label").textContent = "witness " + (index + 1) + " of " + state.witnesses.length +
      ": {" + witness.join(", ") + "}";
    $("why-prev").disabled = index === 0;
    $("why-next").disabled = index + 1 >= state.witnesses.length;
    status(summary());
  }

  async function why() {
    if (!state.focus) return;
    try {
      const answer = await api("/api/v1/why", { id: state.focus, explain: true, as_of: state.asOf });
      state.witnesses = answer.witnesses;
      state.paths = answer.paths || [];
      if (!answer.witnesses.length) {
        $("why-label").textContent = "no witness: " + state.focus + " rests on no recorded source";
        return;
      }
      await showWitness(0);
    } catch (error) {
      status(error.message, true);
    }
  }

  async function where() {
    const attribute = $("where-attribute").value.trim();
    if (!state.focus || !attribute) return;
    try {
      const answer = await api("/api/v1/where", { id: state.focus, attribute, as_of: state.asOf });
      const path = answer.chain.map((c) => c.node);
      await ensurePath(path);
      layout();
      renderList();
      highlight([path]);
      for (const c of answer.conflicts || []) {
        for (const key of ["node", "source", "from", "to"]) {
          if (c[key]) cy.getElementById(c[key]).removeClass("faded").addClass("conflict");
        }
      }
      $("where-label").textContent = path.length
        ? attribute + " = " + JSON.stringify(answer.chain[0].value) +
          (answer.origin ? " set at " + answer.origin
                         : " set nowhere (the copies form a cycle)") +
          (answer.conflicts && answer.conflicts.length ? "; " + answer.conflicts.length +
           " conflict(s) in red" : "")
        : state.focus + " has no attribute " + attribute;
    } catch (error) {
      status(error.message, true);
    }
  }

  // -- time -----------------------------------------------------------------------------

  async function loadTimeline() {
    try {
      state.timeline = await api("/api/v1/timeline", { limit: 500 });
    } catch (error) {
      state.timeline = [];
    }
    const slider = $("asof");
    slider.max = String(state.timeline.length);  // the last position is "now"
    let at = state.timeline.length;
    if (state.asOf) {
      const found = state.timeline.findIndex((t) => t.recorded_at === state.asOf);
      if (found >= 0) at = found;
    }
    slider.value = String(at);
    labelTime();
  }

  function labelTime() {
    const i = Number($("asof").value);
    const entry = state.timeline[i];
    $("asof-label").textContent = entry ? entry.recorded_at + " (batch " + entry.seq + ")" : "now";
  }

  // -- export ---------------------------------------------------------------------------

  function download(name, blob) {
    const link = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function escapeXml(text) {
    return String(text).replace(/[<>&"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  }

  function svg() {
    // The drawing as SVG from the laid-out positions (shapes, colours, labels, arrows).
    const box = cy.elements().boundingBox();
    const pad = 20;
    const parts = [
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="' + (box.x1 - pad) + " " + (box.y1 - pad) +
      " " + (box.w + 2 * pad) + " " + (box.h + 2 * pad) + '" font-family="sans-serif">',
      '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" ' +
      'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" ' +
      'fill="#9aa5b1"/></marker></defs>'];
    for (const e of cy.edges()) {
      const s = e.sourceEndpoint(), t = e.targetEndpoint();
      parts.push('<line x1="' + s.x + '" y1="' + s.y + '" x2="' + t.x + '" y2="' + t.y +
                 '" stroke="#9aa5b1" stroke-width="1.5" marker-end="url(#arrow)"/>');
      if (e.data("label")) {
        parts.push('<text x="' + (s.x + t.x) / 2 + '" y="' + (s.y + t.y) / 2 +
                   '" font-size="9" fill="#616e7c" text-anchor="middle">' +
                   escapeXml(e.data("label")) + "</text>");
      }
    }
    for (const n of cy.nodes()) {
      const p = n.position(), w = n.outerWidth(), h = n.outerHeight();
      const stroke = n.hasClass("opaque") ? ' stroke="#b45309" stroke-dasharray="5,3"'
                                          : ' stroke="#52606d"';
      const fill = ' fill="' + (n.data("colour") || "#fff") + '"' + stroke + ' stroke-width="1.5"';
      const shape = n.data("shape");
      if (shape === "ellipse") {
        parts.push('<ellipse cx="' + p.x + '" cy="' + p.y + '" rx="' + w / 2 + '" ry="' + h / 2 +
                   '"' + fill + "/>");
      } else if (shape === "pentagon") {
        const pts = [[0, -h / 2], [w / 2, -h / 8], [w / 3, h / 2], [-w / 3, h / 2], [-w / 2, -h / 8]]
          .map(([x, y]) => (p.x + x) + "," + (p.y + y)).join(" ");
        parts.push('<polygon points="' + pts + '"' + fill + "/>");
      } else {
        parts.push('<rect x="' + (p.x - w / 2) + '" y="' + (p.y - h / 2) + '" width="' + w +
                   '" height="' + h + '" rx="6"' + fill + "/>");
      }
      const lines = String(n.data("label")).split("\n");
      lines.forEach((line, i) => parts.push(
        '<text x="' + p.x + '" y="' + (p.y + (i - (lines.length - 1) / 2) * 13 + 4) +
        '" font-size="11" text-anchor="middle">' + escapeXml(line) + "</text>"));
    }
    parts.push("</svg>");
    return parts.join("\n");
  }

  function fileName(extension) {
    return (state.focus || "lineage").replace(/[^A-Za-z0-9@._-]+/g, "_") + "." + extension;
  }

  async function exportProv() {
    const ids = cy.nodes().not(".more").map((n) => n.id());
    try {
      const text = await api("/api/v1/export", {}, { ids, as_of: state.asOf });
      download(fileName("prov.json"), new Blob([text], { type: "application/json" }));
    } catch (error) {
      status(error.message, true);
    }
  }

  // -- search ---------------------------------------------------------------------------

  let searchTimer = null;
  async function search() {
    const text = $("search").value.trim();
    const list = $("search-results");
    if (!text) { list.hidden = true; return; }
    try {
      const found = await api("/api/v1/search", { q: text, as_of: state.asOf, limit: 20 });
      list.replaceChildren(...found.map((n) => el("li", {
        role: "option", "data-id": n.id,
        onclick: () => { list.hidden = true; $("search").value = n.id; show(n.id); } },
        n.id + " ", el("small", {}, [n.kind, n.type].filter(Boolean).join(" · ") +
                                   (n.opaque ? " · opaque" : "")))));
      if (!found.length) list.replaceChildren(el("li", {}, "no node matches " + text));
      list.hidden = false;
    } catch (error) {
      status(error.message, true);
    }
  }

  // -- wiring ---------------------------------------------------------------------------

  function remember() {
    const params = new URLSearchParams();
    if (state.focus) params.set("id", state.focus);
    if (state.direction !== "down") params.set("direction", state.direction);
    if (state.depth !== 1) params.set("depth", String(state.depth));
    if (state.asOf) params.set("as_of", state.asOf);
    history.replaceState(null, "", "/?" + params.toString());
  }

  cy.on("tap", "node", (event) => {
    const node = event.target;
    if (node.hasClass("more")) expand(node.data("owner"), node.data("direction"));
    else select(node.id());
  });
  cy.on("dbltap", "node", (event) => {
    const node = event.target;
    if (node.hasClass("more")) return;
    if (state.expanded.has(node.id())) collapse(node.id());
    else expand(node.id(), state.direction);
  });

  $("search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 200);
  });
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      const first = $("search-results").querySelector("li[data-id]");
      if (first) first.click();
    }
  });
  for (const radio of document.querySelectorAll("input[name=direction]")) {
    radio.addEventListener("change", () => {
      if (radio.checked && state.focus) show(state.focus, { direction: radio.value });
    });
  }
  $("depth").addEventListener("change", () => {
    const depth = Math.max(1, Math.min(10, Number($("depth").value) || 1));
    $("depth").value = String(depth);
    if (state.focus) show(state.focus, { depth });
  });
  $("asof").addEventListener("input", labelTime);
  $("asof").addEventListener("change", () => {
    const entry = state.timeline[Number($("asof").value)];
    const asOf = entry ? entry.recorded_at : null;
    if (state.focus) show(state.focus, { asOf });
    else state.asOf = asOf;
  });
  $("why").addEventListener("click", why);
  $("why-prev").addEventListener("click", () => showWitness(state.witness - 1));
  $("why-next").addEventListener("click", () => showWitness(state.witness + 1));
  $("where").addEventListener("click", where);
  $("export-svg").addEventListener("click", () =>
    download(fileName("svg"), new Blob([svg()], { type: "image/svg+xml" })));
  $("export-png").addEventListener("click", () =>
    download(fileName("png"), cy.png({ full: true, output: "blob", bg: "#ffffff", scale: 2 })));
  $("export-prov").addEventListener("click", exportProv);

  window.explorer = { state, cy, svg };  // for tests and the curious

  async function start() {
    readToken();
    const params = new URLSearchParams(location.search);
    state.direction = params.get("direction") === "up" ? "up" : "down";
    $("direction-" + state.direction).checked = true;
    state.depth = Math.max(1, Math.min(10, Number(params.get("depth")) || 1));
    $("depth").value = String(state.depth);
    state.asOf = params.get("as_of");
    await loadTimeline();
    if (params.get("id")) {
      $("search").value = params.get("id");
      await show(params.get("id"));
    } else {
      status("Search for a node by id prefix or by type.");
      window.explorerPaintedAt = performance.now();
    }
  }
  start();
})();
