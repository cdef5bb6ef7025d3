// Topology: Cytoscape graph of Services grouped by namespace, with live traffic on top.
//
// Structure (services, splits, policy edges) comes from the server, aggregated into namespace
// summary nodes when large; expanding or refreshing applies the new payload as a delta, so what
// exists keeps its position and only new nodes are placed. Observed traffic arrives as
// `metrics.delta` messages on one websocket per live namespace (smiLive); traffic edges are
// added, updated or removed in place — never a re-layout — and only when their figures change.
// Filters, search, layout and expanded namespaces live in the URL (deep links).
(() => {
  const startedAt = performance.now();
  const container = document.querySelector("[data-topology]");
  if (!container || typeof cytoscape === "undefined") return;
  if (typeof cytoscapeFcose !== "undefined") cytoscape.use(cytoscapeFcose);
  const config = JSON.parse(document.getElementById("topology-config").textContent);
  let payload = JSON.parse(document.getElementById("topology-data").textContent);
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const $ = (selector) => document.querySelector(selector);
  const controls = $("[data-topology-controls]");
  const error = $("[data-topology-error]");
  const EDGE_KINDS = ["traffic", "allowed", "split", "broken"];
  const HEALTH = ["all", "ok", "degraded", "failing", "denied"];

  // ---- state from the URL ------------------------------------------------------------------------
  const params = new URLSearchParams(location.search);
  const listParam = (name) => new Set((params.get(name) || "").split(",").filter(Boolean));
  const state = {
    namespace: config.query.namespace || "",
    expand: listParam("expand"),
    hide: new Set([...listParam("hide")].filter((k) => EDGE_KINDS.includes(k))),
    health: HEALTH.includes(params.get("health")) ? params.get("health") : "all",
    q: params.get("q") || "",
    layout: params.get("layout") || "elk",
  };
  for (const box of controls.querySelectorAll("[data-show]")) box.checked = !state.hide.has(box.dataset.show);
  controls.querySelector("[data-health]").value = state.health;
  controls.querySelector("[data-search]").value = state.q;
  const layoutSelect = controls.querySelector("[data-layout]");
  if ([...layoutSelect.options].some((o) => o.value === state.layout)) layoutSelect.value = state.layout;
  else state.layout = layoutSelect.value;

  function query(extra = {}) {
    const q = new URLSearchParams();
    const entries = {
      namespace: state.namespace, expand: [...state.expand].sort().join(","), hide: [...state.hide].sort().join(","),
      health: state.health === "all" ? "" : state.health, q: state.q, layout: state.layout === "elk" ? "" : state.layout,
      ...extra,
    };
    for (const [key, value] of Object.entries(entries)) if (value) q.set(key, value);
    const text = q.toString();
    return text ? `?${text}` : "";
  }
  const writeUrl = () => history.replaceState(null, "", `${location.pathname}${query()}`);

  // ---- graph ---------------------------------------------------------------------------------------
  // Node names are never covered: they carry a background and are drawn above every edge at rest.
  // Edge figures appear on hover, on keyboard selection or when an end is hovered/selected (class
  // "revealed"), written along the edge; at rest only denied traffic and broken rules show a marker.
  function style() {
    const ok = css("--ok"), warn = css("--warn"), bad = css("--bad"), muted = css("--muted"), card = css("--card");
    const textBox = { "text-background-color": card, "text-background-opacity": 0.92, "text-background-padding": 2,
      "text-background-shape": "roundrectangle" };
    return [
      { selector: "node", style: { label: "data(label)", color: css("--fg"), "font-size": 13, "text-valign": "bottom",
        "text-margin-y": 4, "background-color": css("--accent"), width: 22, height: 22, "min-zoomed-font-size": 6, ...textBox } },
      { selector: 'node[type = "namespace"]', style: { "background-color": card, "background-opacity": 0.6,
        "border-color": css("--border"), "border-width": 1, "text-valign": "top", "text-margin-y": -2, "font-weight": 600, "font-size": 14,
        shape: "round-rectangle" } },
      { selector: "node[?collapsed]", style: { width: 90, height: 46, "text-valign": "center", "text-wrap": "wrap",
        "text-max-width": 84, "border-width": 2, "border-style": "double", "background-opacity": 1 } },
      { selector: 'node[type = "workload"]', style: { shape: "round-triangle", "background-color": muted } },
      { selector: "node[split]", style: { shape: "diamond", "background-color": warn } },
      { selector: "node[?missing]", style: { "background-color": bad, "border-style": "dashed" } },
      { selector: "edge", style: { width: 2, "curve-style": "bezier", "target-arrow-shape": "triangle", label: "",
        "font-size": 12, color: css("--fg"), "text-rotation": "autorotate", "min-zoomed-font-size": 6,
        "loop-direction": "90deg", "loop-sweep": "-50deg", ...textBox } },
      { selector: 'edge[type = "split"]', style: { "line-color": warn, "target-arrow-color": warn, width: 3 } },
      { selector: 'edge[type = "allowed"]', style: { "line-color": ok, "target-arrow-color": ok, "line-style": "dashed",
        width: 1.5, "line-dash-pattern": [6, 4] } },
      { selector: 'edge[type = "broken"]', style: { "line-color": bad, "target-arrow-color": bad, "line-style": "dotted",
        label: "✕", color: bad, "font-weight": 700, "font-size": 12 } },
      { selector: "edge[?aggregate]", style: { width: "mapData(count, 1, 200, 2, 9)" } },
      { selector: 'edge[type = "traffic"]', style: { "line-style": "solid", width: "mapData(rps, 0, 50, 2.5, 8)",
        "line-color": muted, "target-arrow-color": muted, "arrow-scale": 0.9, "font-weight": 600, "z-index": 10 } },
      { selector: 'edge[health = "ok"]', style: { "line-color": ok, "target-arrow-color": ok } },
      { selector: 'edge[health = "degraded"]', style: { "line-color": warn, "target-arrow-color": warn } },
      { selector: 'edge[health = "failing"]', style: { "line-color": bad, "target-arrow-color": bad } },
      { selector: "edge[?denied]", style: { "line-color": bad, "target-arrow-color": bad, "target-arrow-shape": "tee",
        width: 7, color: bad, "underlay-color": bad, "underlay-opacity": 0.25, "underlay-padding": 6, "z-index": 20,
        label: "⊘", "font-size": 13 } },
      { selector: "edge.revealed", style: { label: "data(label)", "font-size": 13, "text-margin-y": -9,
        "z-index-compare": "manual", "z-index": 100 } },
      { selector: ".hidden", style: { display: "none" } },
      { selector: ".dimmed", style: { opacity: 0.15 } },
      { selector: ".match", style: { "border-width": 3, "border-color": css("--accent") } },
      { selector: "edge:selected", style: { "underlay-color": css("--accent"), "underlay-opacity": 0.35, "underlay-padding": 5 } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": css("--accent"), "border-style": "solid" } },
    ];
  }

  const elements = (p) => [
    ...p.nodes.map((data) => ({ group: "nodes", data })),
    ...p.edges.map((data) => ({ group: "edges", data })),
  ];
  const size = payload.nodes.length + payload.edges.length;
  const large = size > 1500;
  // Layered (ELK) by default: callers on the left, what they call on the right, each namespace a box;
  // edges run between layers, so their markers and figures fall between node names, not on them.
  // ELK reads spacing from each graph level, so every namespace box carries the same options as the root.
  const ELK_SPACING = { "elk.spacing.nodeNode": 36, "elk.layered.spacing.nodeNodeBetweenLayers": 64,
    "elk.spacing.edgeNode": 24, "elk.spacing.componentComponent": 48, "elk.padding": "[top=36,left=24,bottom=20,right=24]" };
  const ELK = { algorithm: "layered", "elk.direction": "RIGHT", "elk.hierarchyHandling": "INCLUDE_CHILDREN",
    "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES", ...ELK_SPACING };
  const layoutOptions = (name) => {
    const common = { name, animate: false, fit: false, nodeDimensionsIncludeLabels: true };
    if (name === "elk") return { ...common, elk: ELK, nodeLayoutOptions: (node) => (node.isParent() ? ELK_SPACING : undefined) };
    // fcose's "draft" skips the polishing pass: past a few hundred elements it halves the first render.
    if (name === "fcose") return { ...common, randomize: true, quality: size > 300 ? "draft" : "default",
      idealEdgeLength: 110, nodeRepulsion: 12000, nodeSeparation: 90, tile: true };
    return { ...common, avoidOverlap: true, spacingFactor: 1.2 };
  };
  const available = { elk: typeof cytoscapeElk !== "undefined", fcose: typeof cytoscapeFcose !== "undefined" };
  // ELK's layered layout grows steeply with crossings (seconds past a few hundred elements): bigger graphs use fcose.
  if (state.layout === "elk" && (size > 250 || !available.elk)) state.layout = available.fcose ? "fcose" : "breadthfirst";
  if (state.layout === "fcose" && !available.fcose) state.layout = "breadthfirst";
  layoutSelect.value = state.layout;
  // Cytoscape adds an inline <style> for its container unless an element with this id exists; the
  // page's policy refuses inline styles, so the rule is in app.css and this marker says so.
  if (!document.getElementById("__________cytoscape_stylesheet")) {
    const marker = document.createElement("meta");
    marker.id = "__________cytoscape_stylesheet";
    document.head.append(marker);
  }
  const cy = cytoscape({ container, elements: elements(payload), style: style(), wheelSensitivity: 0.3,
    // Big graphs: draw a cached bitmap while panning/zooming and skip edges until the viewport settles.
    textureOnViewport: large, hideEdgesOnViewport: large, motionBlur: false, selectionType: "single",
    boxSelectionEnabled: false, maxZoom: 4, minZoom: 0.05 });

  // The canvas takes the graph's proportions (within bounds), then the graph is fitted with a small margin:
  // it fills the width, or the height when it is tall, instead of floating in a fixed box.
  // A small graph is not blown up past FIT_ZOOM (names would be larger than the page's headings).
  const FIT_PADDING = 16, FIT_ZOOM = 1.6;
  function fitToGraph() {
    const shown = cy.elements(":visible");
    if (shown.empty()) return;
    const box = shown.boundingBox({ includeLabels: true });
    const zoom = box.w > 0 ? Math.min(FIT_ZOOM, (container.clientWidth - 2 * FIT_PADDING) / box.w) : 1;
    const floor = Math.min(360, Math.round(window.innerHeight * 0.5));
    const ceiling = Math.max(floor, Math.round(window.innerHeight * 0.85));
    container.style.height = `${Math.round(Math.min(ceiling, Math.max(floor, box.h * zoom + 2 * FIT_PADDING)))}px`;
    cy.resize();
    const most = cy.maxZoom();
    cy.maxZoom(FIT_ZOOM);
    cy.fit(shown, FIT_PADDING);
    cy.maxZoom(most);
  }
  function runLayout(name) {
    return new Promise((resolve) => {
      const layout = cy.layout(layoutOptions(name));
      layout.one("layoutstop", () => { fitToGraph(); resolve(); });
      try {
        layout.run();
      } catch (e) {  // a layout that cannot run still leaves a drawn graph
        console.warn(`topology: the ${name} layout failed (${e.message}); using a grid`);
        cy.layout({ name: "grid", fit: false, avoidOverlap: true, stop: () => { fitToGraph(); resolve(); } }).run();
      }
    });
  }
  // The first layout waits (briefly) for the first figures of every watched namespace, so observed edges are
  // placed too and their markers fall between the services they join; later changes never move anything.
  let trafficSeen;
  const firstTraffic = new Promise((resolve) => { trafficSeen = resolve; setTimeout(resolve, 3000); });
  const laidOut = firstTraffic.then(() => runLayout(state.layout));
  let resizeTimer = 0;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(fitToGraph, 200); });

  // ---- live traffic -----------------------------------------------------------------------------------
  const live = { docs: new Map(), subs: new Map(), statuses: new Map(), updates: 0, changes: 0 };
  const statusNode = $("[data-live-status]");
  const detailNode = $("[data-live-detail]");
  const missingNode = $("[data-testid='live-missing']");
  const deniedSummary = $("[data-denied-summary]");
  const trafficList = $("[data-traffic-list]");

  const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
  const fmtRps = (rps) => (rps >= 100 ? String(Math.round(rps)) : String(round(rps, rps >= 10 ? 1 : 2)));
  function health(success, denied) {
    if (denied) return "denied";
    if (success === null) return "idle";
    if (success >= 0.99) return "ok";
    if (success >= 0.95) return "degraded";
    return "failing";
  }

  function subscribeAll() {
    const wanted = new Set(payload.live.namespaces);
    for (const [ns, sub] of [...live.subs]) {
      if (wanted.has(ns)) continue;
      live.subs.delete(ns);
      live.docs.delete(ns);
      live.statuses.delete(ns);
      sub.close();
    }
    if (typeof smiLive === "undefined") { showLive(); return; }
    for (const ns of wanted) {
      if (live.subs.has(ns)) continue;
      live.statuses.set(ns, "connecting");
      live.subs.set(ns, smiLive.subscribe(`${config.live_base}${encodeURIComponent(ns)}/`, {
        onMessage: (message) => onLive(ns, message),
        onStatus: (status, detail) => { if (live.subs.has(ns)) { live.statuses.set(ns, status); showLive(detail); } },
      }));
    }
    showLive();
  }

  function onLive(ns, message) {
    if (message.type === "metrics.delta") {
      const doc = message.full || !live.docs.has(ns) ? { edges: {} } : live.docs.get(ns);
      for (const [key, figures] of Object.entries(message.edges || {})) {
        if (figures === null) delete doc.edges[key];
        else doc.edges[key] = figures;
      }
      doc.available = message.available !== false;
      doc.reason = message.reason || "";
      doc.observedAt = message.observedAt;
      live.docs.set(ns, doc);
      live.updates += 1;
      scheduleTraffic();
      showLive();
    } else if (message.type === "object.changed" || message.type === "objects.resynced") {
      clearTimeout(live.structureTimer);  // the mesh itself changed: fetch the structure again, once
      live.structureTimer = setTimeout(() => refresh(), 1000);
    }
  }

  const RANK = { refused: 4, reconnecting: 3, closed: 3, connecting: 2, live: 1 };
  function showLive(detail) {
    if (!payload.live.namespaces.length) {  // everything collapsed (or nothing to watch): no socket is open
      trafficSeen();
      statusNode.dataset.state = "idle";
      statusNode.textContent = "not watching";
      detailNode.textContent = "· expand a namespace to see its traffic";
      missingNode.hidden = true;
      return;
    }
    const statuses = [...live.statuses.values()];
    let overall = statuses.reduce((worst, s) => ((RANK[s] || 0) > (RANK[worst] || 0) ? s : worst), "live");
    if (!statuses.length) overall = typeof smiLive === "undefined" ? "closed" : "live";
    if (typeof smiLive !== "undefined") smiLive.showStatus(statusNode, overall, detail);
    else statusNode.textContent = "offline";
    if (!["live", "connecting"].includes(overall)) trafficSeen();  // no figures are coming soon: lay out now
    const unavailable = [...live.docs.entries()].filter(([, d]) => !d.available);
    const times = [...live.docs.values()].map((d) => d.observedAt).filter(Boolean);
    const parts = [];
    parts.push(`namespaces ${payload.live.namespaces.join(", ")}`);
    if (payload.live.omitted.length) parts.push(`not watched: ${payload.live.omitted.length} more namespaces (choose one)`);
    if (times.length) parts.push(`updated ${window.smiClock(new Date(Math.max(...times) * 1000))}`);
    for (const [ns, d] of unavailable) parts.push(`metrics of ${ns} unavailable: ${d.reason}`);
    detailNode.textContent = `· ${parts.join(" · ")}`;
    const missing = ["reconnecting", "refused", "closed"].includes(overall)
      || (live.docs.size > 0 && unavailable.length === live.docs.size);
    missingNode.hidden = !missing;
  }

  let trafficFrame = 0;
  function scheduleTraffic() {
    if (!trafficFrame) trafficFrame = requestAnimationFrame(() => { trafficFrame = 0; renderTraffic(); });
  }

  // Observed Deployment edges -> traffic edges between the drawn nodes they belong to.
  function trafficEdges() {
    const merged = new Map();
    for (const doc of live.docs.values()) {
      if (!doc.available) continue;
      for (const [key, figures] of Object.entries(doc.edges)) merged.set(key, figures);
    }
    const byId = new Map();
    const rows = [];
    for (const [key, f] of [...merged].sort(([a], [b]) => a.localeCompare(b))) {
      if (!f || !(f.rps > 0)) continue;
      const [from, to] = key.split("->");
      const source = payload.workloads[from], target = payload.workloads[to];
      if (!source || !target) continue;
      const denied = f.denied === true; // the server's verdict (policy/traffic.py), marked on the figures
      rows.push({ key, from, to, f, denied, source, target });
      const [s, t] = [source[0], target[0]];
      if (s === t && s.startsWith("ns:")) continue;
      if (cy.getElementById(s).empty() || cy.getElementById(t).empty()) continue;
      const id = `traffic:${s}->${t}`;
      const e = byId.get(id) || { id, source: s, target: t, rps: 0, good: 0, measured: 0, p99: null, denied: false, edges: [] };
      e.rps += f.rps;
      if (f.success_rate !== null && f.success_rate !== undefined) { e.good += f.rps * f.success_rate; e.measured += f.rps; }
      if (f.p99_ms !== null && f.p99_ms !== undefined) e.p99 = Math.max(e.p99 ?? 0, f.p99_ms);
      e.denied = e.denied || denied;
      e.edges.push(key);
      byId.set(id, e);
    }
    const data = new Map();
    for (const e of byId.values()) {
      const success = e.measured > 0 ? e.good / e.measured : null;
      const parts = [`${fmtRps(e.rps)} rps`, success === null ? "–" : `${round(success * 100)} %`];
      if (e.p99 !== null) parts.push(`p99 ${Math.round(e.p99)} ms`);
      data.set(e.id, { id: e.id, source: e.source, target: e.target, type: "traffic", rps: round(e.rps, 2),
        success: success === null ? null : round(success, 4), p99: e.p99, denied: e.denied,
        health: health(success, e.denied), label: (e.denied ? "⊘ " : "") + parts.join(" · "), workloads: e.edges.join(" ") });
    }
    return { data, rows };
  }

  const SAME = ["label", "health", "denied", "rps", "workloads"];
  function renderTraffic() {
    const { data, rows } = trafficEdges();
    let changed = 0;
    cy.batch(() => {
      cy.edges('[type = "traffic"]').forEach((edge) => { if (!data.has(edge.id())) { edge.remove(); changed += 1; } });
      const added = [];
      for (const d of data.values()) {
        const edge = cy.getElementById(d.id);
        if (edge.empty()) { added.push({ group: "edges", data: d }); continue; }
        if (SAME.some((k) => edge.data(k) !== d[k])) { edge.data(d); changed += 1; }
      }
      if (added.length) { cy.add(added); changed += added.length; }
    });
    if (changed) { live.changes += 1; applyFilters(); }
    renderTrafficList(rows);
    if (payload.live.namespaces.every((ns) => live.docs.has(ns))) trafficSeen();
  }

  let listText = "";
  function renderTrafficList(rows) {
    const lines = rows.map((r) => {
      const sr = r.f.success_rate === null || r.f.success_rate === undefined ? "–" : `${round(r.f.success_rate * 100)} % success`;
      const p99 = r.f.p99_ms === null || r.f.p99_ms === undefined ? "" : `, p99 ${Math.round(r.f.p99_ms)} ms`;
      const why = r.denied ? ` — no TrafficTarget rule in effect allows ${r.source[1]} → ${r.target[1]}` : "";
      return { text: `${r.from} → ${r.to}: ${fmtRps(r.f.rps)} rps, ${sr}${p99}${why}`, denied: r.denied };
    });
    const text = lines.map((l) => l.text).join("\n");
    if (text === listText) return;  // nothing changed: leave the DOM (and screen readers) alone
    listText = text;
    trafficList.replaceChildren(...(lines.length ? lines : [{ text: "none observed yet", muted: true }]).map((l) => {
      const li = document.createElement("li");
      li.textContent = l.text;
      if (l.denied) li.className = "denied";
      if (l.muted) li.className = "muted";
      return li;
    }));
    const denied = lines.filter((l) => l.denied);
    deniedSummary.hidden = denied.length === 0;
    deniedSummary.textContent = denied.length
      ? `${denied.length} observed edge${denied.length === 1 ? "" : "s"} without an allowing rule (access control is on): ${denied.map((l) => l.text.split(":")[0]).join(", ")}`
      : "";
  }

  // The list under the graph is the keyboard and screen-reader way in: rebuilt from the payload.
  const nodeList = $("[data-testid='topology-list']");
  function renderNodeList() {
    const items = [];
    const link = (text, href) => { const a = document.createElement("a"); a.href = href; a.textContent = text; return a; };
    const button = (text, attribute, value) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "link"; b.textContent = text; b.setAttribute(attribute, value);
      return b;
    };
    for (const n of payload.nodes) {
      const li = document.createElement("li");
      if (n.type === "service") {
        li.append(link(`${n.namespace}/${n.label}`, objectUrl(n.namespace, "services", n.label)));
        if (n.split) li.append(` · root of split ${n.split}`);
      } else if (n.type === "workload") {
        li.append(link(`${n.namespace}/${n.label}`, objectUrl(n.namespace, "deployments", n.label)), " · Deployment without a Service");
      } else if (n.collapsed) {
        li.append(`${n.namespace}: ${n.services} services, ${n.splits} splits · `, button("expand", "data-expand", n.namespace));
      } else if (payload.aggregated && state.expand.has(n.namespace)) {
        li.append(`${n.namespace} (expanded) · `, button("collapse", "data-collapse", n.namespace));
      } else {
        continue;
      }
      items.push(li);
    }
    nodeList.replaceChildren(...items);
  }

  // ---- structure deltas (refresh, expand) -----------------------------------------------------------
  function update(next) {
    const wanted = new Set([...next.nodes, ...next.edges].map((d) => d.id));
    let fresh;
    cy.batch(() => {
      cy.elements().filter((el) => el.data("type") !== "traffic" && !wanted.has(el.id())).remove();
      const added = [];
      for (const item of elements(next)) {
        const existing = cy.getElementById(item.data.id);
        if (existing.empty()) { added.push(item); continue; }
        if (item.group === "nodes" && (existing.data("parent") || null) !== (item.data.parent || null)) {
          existing.move({ parent: item.data.parent || null });
        }
        const { id, parent, source, target, ...rest } = item.data;  // identity and ends cannot change in place
        existing.data(rest);
      }
      fresh = cy.add(added.filter((i) => i.group === "nodes")).union(cy.add(added.filter((i) => i.group === "edges")));
    });
    placeNew(fresh.nodes());
    if (fresh.nodes().nonempty()) fitToGraph();  // the view (not the nodes) takes in what was added
    payload = next;
    subscribeAll();
    renderTraffic();
    renderNodeList();
    applyFilters();
  }

  // New nodes go in a grid where their namespace is (an expanded summary keeps its spot); nothing else moves.
  function placeNew(nodes) {
    const groups = new Map();
    nodes.filter((n) => !n.isParent() || n.children().length === 0).forEach((node) => {
      const key = node.data("parent") || "";
      groups.set(key, (groups.get(key) || cy.collection()).union(node));
    });
    for (const [parentId, group] of groups) {
      const parent = parentId ? cy.getElementById(parentId) : cy.collection();
      const center = parent.nonempty() ? parent.position() : { x: cy.extent().x1 + cy.extent().w / 2, y: cy.extent().y1 + 40 };
      const side = Math.ceil(Math.sqrt(group.length)) * 80;
      group.layout({ name: "grid", fit: false, animate: false, avoidOverlap: true,
        boundingBox: { x1: center.x - side / 2, y1: center.y - side / 2, w: side, h: side } }).run();
    }
  }

  async function refresh() {
    try {
      const url = `${config.data_url}${query({ hide: "", health: "", q: "", layout: "" })}`;
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      update(await response.json());
      error.hidden = true;
    } catch (e) {
      error.hidden = false;
      error.textContent = `Could not refresh the topology: ${e.message}`;
    }
  }

  function setExpanded(namespace, expanded) {
    if (expanded) state.expand.add(namespace); else state.expand.delete(namespace);
    writeUrl();
    return refresh();
  }

  // ---- filters and search -----------------------------------------------------------------------------
  function applyFilters() {
    cy.batch(() => {
      cy.edges().forEach((edge) => {
        const type = edge.data("type");
        let visible = !state.hide.has(type);
        if (visible && type === "traffic" && state.health !== "all") visible = edge.data("health") === state.health;
        edge.toggleClass("hidden", !visible);
      });
      const term = state.q.trim().toLowerCase();
      cy.nodes().filter((n) => n.data("type") !== "namespace" || n.data("collapsed")).forEach((node) => {
        const hit = term && `${node.data("namespace")}/${node.data("label")}`.toLowerCase().includes(term);
        node.toggleClass("match", Boolean(hit));
        node.toggleClass("dimmed", Boolean(term) && !hit);
      });
    });
  }

  controls.addEventListener("change", (event) => {
    if (!event.target.matches("[data-namespace]")) return;
    event.stopPropagation();  // keep the other filters: navigate to the deep link instead of a bare submit
    state.namespace = event.target.value;
    state.expand.clear();
    location.assign(`${location.pathname}${query()}`);
  });
  controls.addEventListener("input", (event) => {
    const target = event.target;
    if (target.matches("[data-show]")) {
      if (target.checked) state.hide.delete(target.dataset.show); else state.hide.add(target.dataset.show);
    } else if (target.matches("[data-health]")) {
      state.health = target.value;
    } else if (target.matches("[data-search]")) {
      state.q = target.value;
    } else if (target.matches("[data-layout]")) {
      state.layout = target.value;
      runLayout(state.layout);
    } else {
      return;
    }
    writeUrl();
    applyFilters();
  });
  controls.addEventListener("submit", (event) => event.preventDefault());
  controls.querySelector("[data-refresh]").addEventListener("click", () => refresh());
  document.addEventListener("click", (event) => {
    const expand = event.target.closest("[data-expand]");
    if (expand) setExpanded(expand.dataset.expand, true);
    const collapse = event.target.closest("[data-collapse]");
    if (collapse) setExpanded(collapse.dataset.collapse, false);
  });

  // ---- click-through and keyboard ---------------------------------------------------------------------
  const objectUrl = (ns, plural, name, suffix = "") =>
    `${config.object_base}${encodeURIComponent(ns)}/${plural}/${encodeURIComponent(name)}/${suffix}`;
  function activate(element) {
    const d = element.data();
    if (element.isNode()) {
      if (d.type === "namespace" && d.collapsed) return setExpanded(d.namespace, true);
      if (d.type === "service") return location.assign(objectUrl(d.namespace, "services", d.label));
      if (d.type === "workload") return location.assign(objectUrl(d.namespace, "deployments", d.label));
      return undefined;
    }
    if (d.aggregate) {
      for (const end of [element.source(), element.target()]) if (end.data("collapsed")) state.expand.add(end.data("namespace"));
      writeUrl();
      return refresh();
    }
    if (d.type === "split") return location.assign(objectUrl(d.namespace, "trafficsplits", d.split, "weights/"));
    if ((d.type === "allowed" || d.type === "broken") && d.targets && d.targets.length) {
      return location.assign(objectUrl(element.target().data("namespace"), "traffictargets", d.targets[0]));
    }
    const target = element.target();
    return target.data("type") === "service" ? activate(target) : undefined;
  }
  cy.on("tap", "node, edge", (event) => activate(event.target));

  // Figures on demand: the hovered edge, or every edge of the hovered or selected node, shows its label.
  const hoverNode = $("[data-topology-hover]");
  const edgesOf = (element) => (element.isEdge() ? element : element.connectedEdges());
  const ends = (edge) => `${edge.source().data("label")} → ${edge.target().data("label")}`;
  const KIND = { traffic: "observed traffic", allowed: "allowed by a TrafficTarget", split: "TrafficSplit share",
    broken: "TrafficTarget" };
  function explain(edge) {
    const d = edge.data();
    const what = d.denied ? "observed traffic no rule allows" : KIND[d.type] || d.type;
    return `${ends(edge)} · ${what}${d.label ? `: ${d.label}` : ""}`;
  }
  function reveal() {
    cy.batch(() => {
      cy.edges(".revealed").removeClass("revealed");
      cy.$(":selected, .hovered").forEach((element) => edgesOf(element).addClass("revealed"));
    });
  }
  cy.on("mouseover", "node, edge", (event) => {
    event.target.addClass("hovered");
    reveal();
    if (event.target.isEdge()) hoverNode.textContent = explain(event.target);
  });
  cy.on("mouseout", "node, edge", (event) => {
    event.target.removeClass("hovered");
    reveal();
    if (event.target.isEdge()) hoverNode.textContent = "";
  });
  cy.on("select unselect", reveal);
  // Leaving the canvas in one move fires no mouseout on what was under the pointer.
  container.addEventListener("mouseleave", () => { cy.$(".hovered").removeClass("hovered"); reveal(); hoverNode.textContent = ""; });
  // Traffic edges come and go with live updates: a new edge of a selected node shows its figures too.
  cy.on("add", "edge", () => { if (cy.$(":selected, .hovered").nonempty()) reveal(); });

  const focusNode = $("[data-topology-focus]");
  const focusable = () => cy.nodes().filter((n) => !n.hasClass("hidden") && (n.data("type") !== "namespace" || n.data("collapsed")))
    .toArray().sort((a, b) => `${a.data("namespace")}/${a.data("label")}`.localeCompare(`${b.data("namespace")}/${b.data("label")}`));
  function describe(node) {
    const d = node.data();
    const out = node.connectedEdges('[type = "traffic"]').filter((e) => e.source().same(node));
    const traffic = out.map((e) => `${e.data("label")} to ${e.target().data("label")}`).join("; ");
    const what = d.collapsed ? `namespace with ${d.services} services, Enter expands it` : `${d.kind || d.type} in ${d.namespace}, Enter opens it`;
    return `${d.label}: ${what}${traffic ? `. Sends ${traffic}` : ""}`;
  }
  function select(node) {
    cy.$(":selected").unselect();
    node.select();
    cy.center(node);
    focusNode.textContent = describe(node);
  }
  // "e" / "E" step through the edges of the service last selected: the edge's figures show, Enter opens it.
  let anchor = cy.collection();
  cy.on("select", "node", (event) => { anchor = event.target; });
  function stepEdge(forward) {
    if (anchor.empty() || anchor.removed()) return;
    const edges = anchor.connectedEdges().filter((e) => e.visible()).toArray().sort((a, b) => a.id().localeCompare(b.id()));
    if (!edges.length) return;
    const index = edges.findIndex((e) => e.selected());
    const edge = edges[index < 0 ? (forward ? 0 : edges.length - 1) : (index + (forward ? 1 : -1) + edges.length) % edges.length];
    cy.$(":selected").unselect();
    edge.select();
    focusNode.textContent = explain(edge);
  }
  container.addEventListener("keydown", (event) => {
    const nodes = focusable();
    if (!nodes.length) return;
    const current = cy.$(":selected").first();
    const index = anchor.nonempty() ? nodes.findIndex((n) => n.same(anchor)) : -1;
    if (["ArrowRight", "ArrowDown"].includes(event.key)) select(nodes[(index + 1) % nodes.length]);
    else if (["ArrowLeft", "ArrowUp"].includes(event.key)) select(nodes[(index - 1 + nodes.length) % nodes.length]);
    else if (event.key === "e" || event.key === "E") stepEdge(event.key === "e");
    else if (event.key === "Enter" && current.nonempty()) activate(current);
    else if (event.key === "Escape") { cy.$(":selected").unselect(); anchor = cy.collection(); focusNode.textContent = ""; }
    else if (event.key === "+" || event.key === "=") cy.zoom({ level: cy.zoom() * 1.2, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    else if (event.key === "-") cy.zoom({ level: cy.zoom() / 1.2, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    else return;
    event.preventDefault();
  });

  // Colours follow the theme.
  new MutationObserver(() => cy.style(style())).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });

  renderNodeList();
  applyFilters();
  window.smiTopology = { cy, update, refresh, live, state, startedAt, fit: fitToGraph };
  subscribeAll();
  laidOut.then(() => {
    window.smiTopology.readyAt = performance.now();
    container.dataset.ready = "true";
    // Cytoscape paints on the next animation frame: the second one is after the first picture.
    requestAnimationFrame(() => requestAnimationFrame(() => { window.smiTopology.drawnAt = performance.now(); }));
  });
})();
