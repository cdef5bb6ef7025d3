// Topology: Cytoscape graph of Services grouped by namespace. Updates are applied as deltas
// (add/remove/update elements in place) so positions stay put; only new nodes get placed.
(() => {
  const container = document.querySelector("[data-topology]");
  if (!container || typeof cytoscape === "undefined") return;
  if (typeof cytoscapeFcose !== "undefined") cytoscape.use(cytoscapeFcose);
  const config = JSON.parse(document.getElementById("topology-config").textContent);
  const initial = JSON.parse(document.getElementById("topology-data").textContent);
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function style() {
    return [
      { selector: "node", style: { label: "data(label)", color: css("--fg"), "font-size": 11, "text-valign": "bottom",
        "text-margin-y": 4, "background-color": css("--accent"), width: 22, height: 22 } },
      { selector: 'node[type = "namespace"]', style: { "background-color": css("--card"), "background-opacity": 0.6,
        "border-color": css("--border"), "border-width": 1, "text-valign": "top", "font-weight": 600, shape: "round-rectangle" } },
      { selector: "node[split]", style: { shape: "diamond", "background-color": css("--warn") } },
      { selector: "node[?missing]", style: { "background-color": css("--bad"), "border-style": "dashed" } },
      { selector: "edge", style: { width: 2, "curve-style": "bezier", "target-arrow-shape": "triangle", label: "data(label)",
        "font-size": 10, color: css("--fg"), "text-background-color": css("--card"), "text-background-opacity": 0.9,
        "text-background-padding": 2 } },
      { selector: 'edge[type = "split"]', style: { "line-color": css("--warn"), "target-arrow-color": css("--warn"), width: 3 } },
      { selector: 'edge[type = "allowed"]', style: { "line-color": css("--ok"), "target-arrow-color": css("--ok"), "line-style": "dashed" } },
      { selector: 'edge[type = "broken"]', style: { "line-color": css("--bad"), "target-arrow-color": css("--bad"), "line-style": "dotted" } },
      { selector: ".hidden", style: { display: "none" } },
      { selector: ".dimmed", style: { opacity: 0.15 } },
      { selector: ".match", style: { "border-width": 3, "border-color": css("--accent") } },
    ];
  }

  const elements = (payload) => [
    ...payload.nodes.map((data) => ({ group: "nodes", data })),
    ...payload.edges.map((data) => ({ group: "edges", data })),
  ];
  const layoutOptions = (name, fit = true) => ({ name, animate: false, fit, padding: 30, nodeDimensionsIncludeLabels: true,
    randomize: name === "fcose" });
  const cy = cytoscape({ container, elements: elements(initial), style: style(), wheelSensitivity: 0.3,
    layout: layoutOptions(typeof cytoscapeFcose !== "undefined" ? "fcose" : "breadthfirst") });
  window.smiTopology = { cy, update };
  container.dataset.ready = "true";

  // Deltas: what exists keeps its position; new nodes are placed near their namespace.
  function update(payload) {
    const wanted = new Set([...payload.nodes, ...payload.edges].map((d) => d.id));
    cy.batch(() => {
      cy.elements().filter((el) => !wanted.has(el.id())).remove();
      const added = [];
      for (const item of elements(payload)) {
        const existing = cy.getElementById(item.data.id);
        if (existing.nonempty()) existing.data(item.data);
        else added.push(item);
      }
      const fresh = cy.add(added.filter((i) => i.group === "nodes")).union(cy.add(added.filter((i) => i.group === "edges")));
      fresh.nodes().forEach((node) => {
        const parent = node.parent();
        const anchor = parent.nonempty() && parent.children().length > 1 ? parent.boundingBox() : cy.extent();
        node.position({ x: anchor.x1 + Math.random() * (anchor.w || 100), y: anchor.y1 + Math.random() * (anchor.h || 100) });
      });
    });
    applyFilters();
  }

  const controls = document.querySelector("[data-topology-controls]");
  const error = document.querySelector("[data-topology-error]");
  function applyFilters() {
    const shown = Object.fromEntries([...controls.querySelectorAll("[data-show]")].map((c) => [c.dataset.show, c.checked]));
    cy.edges().forEach((edge) => edge.toggleClass("hidden", shown[edge.data("type")] === false));
    const term = controls.querySelector("[data-search]").value.trim().toLowerCase();
    cy.nodes('[type = "service"]').forEach((node) => {
      const hit = term && node.data("label").toLowerCase().includes(term);
      node.toggleClass("match", Boolean(hit));
      node.toggleClass("dimmed", Boolean(term) && !hit);
    });
  }
  controls.addEventListener("input", (event) => {
    if (event.target.matches("[data-show], [data-search]")) applyFilters();
    if (event.target.matches("[data-layout]")) cy.layout(layoutOptions(event.target.value)).run();
  });
  controls.querySelector("[data-refresh]").addEventListener("click", async () => {
    try {
      const response = await fetch(config.data_url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      update(await response.json());
      error.hidden = true;
    } catch (e) {
      error.hidden = false;
      error.textContent = `Could not refresh the topology: ${e.message}`;
    }
  });
  cy.on("tap", 'node[type = "service"]', (event) => {
    const d = event.target.data();
    window.location.href = `${config.object_base}${encodeURIComponent(d.namespace)}/services/${encodeURIComponent(d.label)}/`;
  });
  cy.on("tap", 'edge[type = "split"]', (event) => {
    const d = event.target.data();
    window.location.href = `${config.object_base}${encodeURIComponent(d.namespace)}/trafficsplits/${encodeURIComponent(d.split)}/weights/`;
  });
  // Colours follow the theme.
  new MutationObserver(() => cy.style(style())).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
})();
