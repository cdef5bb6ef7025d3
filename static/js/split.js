// Traffic split page: sliders and numbers per backend, shares recomputed as weights change,
// then preview (diff + dry-run verdict) → apply through the REST API. A 409 conflict shows
// the other person's version and lets the user re-apply on top of it.
//
// Live: the namespace's websocket (static/js/live.js) brings figures per workload, which are
// added up per backend (RPS, success rate, p99, sparkline, observed share = backend RPS ÷ sum
// of the backends' RPS), and `object.changed` for this split, after which the page re-reads
// the split: the set weights and the base resourceVersion follow the cluster, the weights
// being edited are replaced only when the user has no unsaved change (else a notice says so).
//
// A stepped change moves the canary (last backend) up by N % every M minutes through the same
// preview → apply while its live success rate stays at or above a threshold.
// Data is only ever put into the page with textContent.
(() => {
  const stateNode = document.getElementById("split-state");
  if (!stateNode) return;
  const state = JSON.parse(stateNode.textContent);
  const $ = (sel, root = document) => root.querySelector(sel);
  const rows = [...document.querySelectorAll("[data-backend]")];
  const rowOf = (service) => rows.find((row) => row.dataset.backend === service);
  const current = Object.fromEntries(state.backends.map((b) => [b.service, b.weight])); // what the cluster has
  const exact = Object.fromEntries(state.backends.map((b) => [b.service, b.exact])); // the same, exactly ("1/3")
  const ownVersions = new Set(); // versions this page wrote: their object.changed echo is not news
  let baseVersion = state.resource_version;
  let inflight = Promise.resolve(); // the write in progress, so its echo is recognised as ours
  const versionNode = $('[data-testid="resource-version"]');
  const remoteBox = $("[data-remote-change]");
  const csrfMeta = $('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  // The server's shares as bar widths: set here, since the page's policy allows no inline styles.
  for (const bar of document.querySelectorAll("[data-share-width]")) bar.style.width = `${bar.dataset.shareWidth}%`;

  const formatPercent = (value) => `${value.toFixed(2).replace(/\.?0+$/, "")} %`;
  const totalOf = (weights) => Object.values(weights).reduce((a, b) => a + b, 0);
  const weightList = (weights) => rows.map((row) => `${row.dataset.backend}: ${weights[row.dataset.backend] ?? 0}`).join(", ");

  function numberOf(weight) {
    if (typeof weight === "number") return weight;
    const [numerator, denominator] = String(weight).split("/");
    const value = Number(numerator) / Number(denominator || 1);
    return Number.isFinite(value) ? value : 0;
  }

  // ---- the cluster's weights (set) ----------------------------------------------------------

  function showCurrent() {
    const total = totalOf(current);
    for (const row of rows) {
      const weight = current[row.dataset.backend] ?? 0;
      $("[data-set-weight]", row).textContent = String(weight);
      $("[data-set-share]", row).textContent = formatPercent(total > 0 ? (weight / total) * 100 : 0);
      const readonly = $("[data-weight-readonly]", row);
      if (readonly) {
        readonly.textContent = `weight ${weight}`;
        $("[data-share]", row).textContent = formatPercent(total > 0 ? (weight / total) * 100 : 0);
        $(".share-bar span", row).style.width = `${total > 0 ? (weight / total) * 100 : 0}%`;
      }
    }
    renderLive();
  }

  function setBase(version) {
    baseVersion = version;
    versionNode.textContent = version;
  }

  // ---- editing (only with the grant and without a controller) -------------------------------

  const edit = state.editable ? editing() : null;

  function editing() {
    const previewBox = $("[data-preview]");
    const conflictBox = $("[data-conflict]");
    const appliedBox = $("[data-applied]");
    const errorBox = $("[data-form-error]");
    let theirs = null; // the version a conflict revealed: { version, weights }

    const weights = () => Object.fromEntries(rows.map((row) => [row.dataset.backend, Number($("[data-weight-input]", row).value) || 0]));
    const dirty = () => rows.some((row) => weights()[row.dataset.backend] !== (current[row.dataset.backend] ?? 0));

    function setWeight(row, value) {
      const clamped = Math.max(0, Math.min(state.scale, Math.round(value)));
      $("[data-weight-slider]", row).value = clamped;
      $("[data-weight-input]", row).value = clamped;
    }

    function refreshShares() {
      const form = weights();
      const total = totalOf(form);
      for (const row of rows) {
        const share = total > 0 ? (form[row.dataset.backend] / total) * 100 : 0;
        $("[data-share]", row).textContent = formatPercent(share);
        $(".share-bar span", row).style.width = `${share}%`;
      }
      errorBox.hidden = total > 0;
      errorBox.textContent = total > 0 ? "" : "At least one backend needs a weight above 0.";
      previewBox.hidden = true;
    }

    function showError(text) { errorBox.hidden = false; errorBox.textContent = text; }

    for (const row of rows) {
      $("[data-weight-slider]", row).addEventListener("input", (e) => { setWeight(row, Number(e.target.value)); refreshShares(); });
      $("[data-weight-input]", row).addEventListener("input", (e) => { setWeight(row, Number(e.target.value)); refreshShares(); });
    }

    const locked = (row) => $("[data-lock]", row).checked;
    // Spread evenly, promote and roll back are computed by the server, exactly (a weight of 1/3
    // stays 1/3); the page sends what it shows (the cluster's exact weight where unchanged).
    let planning = Promise.resolve(); // a quick action in flight: preview and apply wait for its weights
    async function quickAction(action) {
      const shown = weights();
      const given = Object.fromEntries(rows.map((row) => {
        const service = row.dataset.backend;
        return [service, shown[service] === current[service] && exact[service] != null ? exact[service] : shown[service]];
      }));
      const response = await fetch(state.plan, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ action, weights: given, locked: rows.filter(locked).map((row) => row.dataset.backend), scale: state.scale }),
      });
      let data = {};
      try { data = await response.json(); } catch { data = {}; }
      if (!response.ok) return showError(errorsText(data));
      for (const row of rows) if (!locked(row)) setWeight(row, numberOf(data.weights[row.dataset.backend]));
      refreshShares();
    }

    function send(preview, wanted = weights()) {
      const body = { base_resource_version: baseVersion, weights: wanted, preview };
      const done = (async () => {
        const response = await fetch(state.api, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
          body: JSON.stringify(body),
        });
        let data = {};
        try { data = await response.json(); } catch { data = {}; }
        if (!preview && response.status === 200 && data.resource_version) ownVersions.add(data.resource_version);
        return { status: response.status, data };
      })();
      if (!preview) inflight = done.catch(() => null);
      return done;
    }

    function errorsText(data) {
      return (data.errors || []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ") || "The request failed.";
    }

    function showConflict(currentObject) {
      previewBox.hidden = true;
      conflictBox.hidden = false;
      $("[data-their-version]").textContent = currentObject.metadata.resourceVersion;
      const list = $("[data-their-weights]");
      list.replaceChildren(...(currentObject.spec.backends || []).map((b) => {
        const li = document.createElement("li");
        li.textContent = `${b.service}: ${b.weight}`;
        return li;
      }));
      $("[data-their-yaml]").textContent = JSON.stringify(currentObject, null, 2);
      theirs = { version: currentObject.metadata.resourceVersion,
        weights: Object.fromEntries((currentObject.spec.backends || []).map((b) => [b.service, numberOf(b.weight)])) };
      conflictBox.focus();
    }

    async function preview() {
      conflictBox.hidden = true; appliedBox.hidden = true;
      const { status, data } = await send(true);
      if (status === 409 && data.current) return showConflict(data.current);
      if (status !== 200) return showError(errorsText(data));
      previewBox.hidden = false;
      const verdict = data.verdict || {};
      $("[data-verdict]").textContent = verdict.accepted
        ? "Dry run: the cluster accepts this change."
        : `Dry run: the cluster refuses this change (${verdict.message || errorsText(verdict)}).`;
      $("[data-verdict]").className = verdict.accepted ? "ok-state" : "error";
      $("[data-diff]").textContent = data.diff || "(no changes)";
      $('[data-action="apply"]').disabled = !verdict.accepted;
      $('[data-action="apply"]').focus();
    }

    function applied(version, wanted) {
      setBase(version);
      Object.assign(current, wanted);
      for (const [service, weight] of Object.entries(wanted)) exact[service] = weight;
      remoteBox.hidden = true;
      showCurrent();
    }

    async function apply() {
      const wanted = weights();
      const { status, data } = await send(false, wanted);
      if (status === 409 && data.current) return showConflict(data.current);
      if (status !== 200) return showError(errorsText(data));
      previewBox.hidden = true;
      applied(data.resource_version, wanted);
      appliedBox.hidden = false;
      appliedBox.textContent = `Applied: resourceVersion ${baseVersion}.`;
      document.dispatchEvent(new CustomEvent("split:applied", { detail: { version: baseVersion, weights: wanted } }));
    }

    /** The cluster changed under us: follow it, keeping what the user is editing unsaved. */
    function remoteChanged(weightsNow, unsaved) {
      if (unsaved) {
        previewBox.hidden = true; // its diff was against the old version
        return false;
      }
      rows.forEach((row) => setWeight(row, weightsNow[row.dataset.backend] ?? 0));
      refreshShares();
      return true;
    }

    function setEnabled(enabled) {
      for (const node of document.querySelectorAll("[data-weight-slider], [data-weight-input], [data-lock], .actions [data-action]")) {
        if (!node.closest("[data-stepped]")) node.disabled = !enabled;
      }
    }

    document.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      if (!button || button.closest("[data-stepped]")) return;
      const action = button.dataset.action;
      if (action === "even" || action === "promote" || action === "rollback") {
        planning = quickAction(action).catch((e) => showError(String(e)));
        return;
      } else if (action === "reset") rows.forEach((row) => setWeight(row, current[row.dataset.backend] ?? 0));
      else if (action === "preview") return void planning.then(preview).catch((e) => showError(String(e)));
      else if (action === "apply") return void planning.then(apply).catch((e) => showError(String(e)));
      else if (action === "cancel") { previewBox.hidden = true; return; }
      else if (action === "reapply") { setBase(theirs.version); conflictBox.hidden = true; return void preview(); }
      else if (action === "take-theirs") {
        setBase(theirs.version);
        Object.assign(current, theirs.weights);
        for (const [service, weight] of Object.entries(theirs.weights)) exact[service] = weight;
        rows.forEach((row) => setWeight(row, current[row.dataset.backend] ?? 0));
        conflictBox.hidden = true;
        showCurrent();
      }
      refreshShares();
    });

    return { weights, dirty, send, applied, errorsText, remoteChanged, setEnabled };
  }

  // ---- live traffic ---------------------------------------------------------------------------

  const statusNode = $("[data-live-status]");
  const liveState = $("[data-live-state]");
  const figures = {}; // workload -> {rps, success_rate, p99_ms, ...}
  let metrics = { available: null, reason: "", windowSeconds: null }; // null: no figures yet
  let liveStatus = "connecting"; // figures count only while the live connection is up
  const HISTORY_SECONDS = 15 * 60;
  const series = Object.fromEntries(rows.map((row) => [row.dataset.backend, { t: [], rps: [], plot: null }]));

  /** Figures of one backend: its workloads' rates added up, success weighted by rate, worst p99. */
  function backendFigures(service) {
    const names = (state.workloads || {})[service] || [];
    const found = names.map((name) => figures[name]).filter(Boolean);
    if (!names.length) return { missing: "no workload behind this Service" };
    if (!found.length) return { missing: "no figures for its workloads" };
    const rps = found.reduce((sum, f) => sum + (f.rps || 0), 0);
    const denied = found.reduce((sum, f) => sum + (f.denied_rps || 0), 0);
    // The server marks what policy denies: success counts only the requests the mesh let through.
    const successOf = (f) => (f.allowed_success_rate !== undefined ? f.allowed_success_rate : f.success_rate);
    const allowedRps = (f) => Math.max(0, (f.rps || 0) - (f.denied_rps || 0));
    const measured = found.filter((f) => successOf(f) !== null && successOf(f) !== undefined);
    const weight = measured.reduce((sum, f) => sum + allowedRps(f), 0);
    const success = weight > 0 ? measured.reduce((sum, f) => sum + allowedRps(f) * successOf(f), 0) / weight : null;
    const p99s = found.map((f) => f.p99_ms).filter((v) => v !== null && v !== undefined);
    return { rps, denied, success, p99: p99s.length ? Math.max(...p99s) : null };
  }

  function setText(row, selector, text, title = "") {
    const node = $(selector, row);
    node.textContent = text;
    node.title = title;
  }

  function renderLive() {
    if (!state.metrics_provider) return;
    if (metrics.available === null) return;
    if (!metrics.available) {
      liveState.hidden = false;
      // `failed` false: nothing broke (the cluster serves no metrics API, say): the reason says what to do.
      liveState.dataset.state = metrics.failed ? "failed" : "unavailable";
      liveState.textContent = metrics.failed
        ? `Live traffic unavailable: the metrics provider failed (${metrics.reason || "no reason given"}).`
        : `Live traffic unavailable: ${metrics.reason}.`;
      for (const row of rows) {
        for (const sel of ["[data-live-rps]", "[data-live-success]", "[data-live-p99]", "[data-live-denied]", "[data-observed-share]"]) setText(row, sel, "–");
        $("[data-observed-bar]", row).style.width = "0";
      }
      return;
    }
    const perBackend = Object.fromEntries(rows.map((row) => [row.dataset.backend, backendFigures(row.dataset.backend)]));
    const total = Object.values(perBackend).reduce((sum, f) => sum + (f.rps || 0), 0);
    const setTotal = totalOf(current);
    for (const row of rows) {
      const f = perBackend[row.dataset.backend];
      if (f.missing) {
        for (const sel of ["[data-live-rps]", "[data-live-success]", "[data-live-p99]", "[data-live-denied]"]) setText(row, sel, "–", f.missing);
        setText(row, "[data-observed-share]", "n/a", f.missing);
        $("[data-observed-bar]", row).style.width = "0";
        continue;
      }
      setText(row, "[data-live-rps]", `${f.rps.toFixed(1)} rps`);
      setText(row, "[data-live-success]", f.success === null ? "no requests" : formatPercent(f.success * 100),
        "over the requests access policy allows");
      const deniedNode = $("[data-live-denied]", row);
      deniedNode.textContent = f.denied > 0 ? `${f.denied.toFixed(1)} rps` : "none";
      deniedNode.dataset.denied = f.denied > 0 ? "yes" : "no";
      deniedNode.title = f.denied > 0 ? "requests from callers no TrafficTarget allows: the mesh refuses them" : "";
      setText(row, "[data-live-p99]", f.p99 === null ? "–" : `${Math.round(f.p99)} ms`);
      const observed = total > 0 ? (f.rps / total) * 100 : null;
      const setShare = setTotal > 0 ? ((current[row.dataset.backend] ?? 0) / setTotal) * 100 : 0;
      const observedNode = $("[data-observed-share]", row);
      observedNode.textContent = observed === null ? "no traffic" : formatPercent(observed);
      observedNode.title = observed === null ? "" : `set ${formatPercent(setShare)}, observed ${formatPercent(observed)}`;
      observedNode.dataset.drift = observed !== null && Math.abs(observed - setShare) >= 5 ? "far" : "near";
      $("[data-observed-bar]", row).style.width = `${observed || 0}%`;
    }
    liveState.dataset.state = total > 0 ? "live" : "idle";
    liveState.textContent = total > 0
      ? `Figures over the last ${metrics.windowSeconds} s, refreshed every ${state.poll_seconds} s. Observed share = backend RPS ÷ sum of the backends' RPS.`
      : `No traffic to these backends over the last ${metrics.windowSeconds} s.`;
  }

  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#2f6fde"; }

  function plotFor(service) {
    const entry = series[service];
    if (entry.plot || typeof uPlot === "undefined") return entry.plot;
    const node = $("[data-sparkline]", rowOf(service));
    entry.plot = new uPlot({
      width: 160, height: 36, pxAlign: false,
      cursor: { show: false }, legend: { show: false }, select: { show: false },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: () => cssVar("--accent"), width: 1.5, points: { show: false } }],
    }, [entry.t, entry.rps], node);
    return entry.plot;
  }

  function addPoint(at, values) {
    for (const row of rows) {
      const service = row.dataset.backend;
      const entry = series[service];
      const value = values[service];
      if (value === undefined || (entry.t.length && at <= entry.t[entry.t.length - 1])) continue;
      entry.t.push(at); entry.rps.push(value);
      while (entry.t.length && entry.t[0] < at - HISTORY_SECONDS) { entry.t.shift(); entry.rps.shift(); }
      const plot = plotFor(service);
      if (plot) plot.setData([entry.t, entry.rps]);
    }
  }

  function recordLivePoint(at) {
    if (!metrics.available) return;
    const values = {};
    for (const row of rows) {
      const f = backendFigures(row.dataset.backend);
      if (!f.missing) values[row.dataset.backend] = f.rps;
    }
    addPoint(at, values);
  }

  async function loadHistory() {
    if (!state.metrics_provider || !state.history) return;
    try {
      const response = await fetch(state.history, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const { points } = await response.json();
      for (const point of points || []) {
        addPoint(point.at, Object.fromEntries(Object.entries(point.backends || {}).map(([service, [rps]]) => [service, rps])));
      }
    } catch { /* sparklines then start with the live figures */ }
  }

  function onMetrics(message) {
    if (!state.metrics_provider) return;
    if (message.full) for (const name of Object.keys(figures)) delete figures[name];
    for (const [name, value] of Object.entries(message.resources || {})) {
      if (value === null) delete figures[name];
      else figures[name] = value;
    }
    metrics = { available: message.available !== false, reason: message.reason || "", failed: message.failed !== false,
                windowSeconds: message.windowSeconds };
    renderLive();
    recordLivePoint(Date.now() / 1000);
  }

  /** Someone (or this page) changed the split: re-read it and follow the cluster. */
  async function onObjectChanged(message) {
    await inflight;
    if (message.resourceVersion && (ownVersions.has(message.resourceVersion) || message.resourceVersion === baseVersion)) return;
    const response = await fetch(state.object_api, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const detail = await response.json();
    if (detail.resource_version === baseVersion || ownVersions.has(detail.resource_version)) return;
    const weightsNow = Object.fromEntries(((detail.normalized || {}).backends || []).map((b) => [b.service, numberOf(b.weight)]));
    const unsaved = edit ? edit.dirty() : false; // judged against the weights the user started from
    Object.assign(current, weightsNow);
    for (const b of (detail.normalized || {}).backends || []) exact[b.service] = b.weight;
    // Unsaved edits stay based on the version the user started from, so applying them meets a
    // conflict that shows the other change first: nobody's update is replaced unseen.
    if (!unsaved) setBase(detail.resource_version);
    const followed = edit ? edit.remoteChanged(weightsNow, unsaved) : true;
    stepper.interrupt(`someone else changed the split (resourceVersion ${detail.resource_version})`);
    remoteBox.hidden = false;
    remoteBox.dataset.kept = followed ? "no" : "yes";
    remoteBox.textContent = followed
      ? `Someone else changed the weights to ${weightList(weightsNow)} (resourceVersion ${detail.resource_version}).`
      : `Someone else changed the weights to ${weightList(weightsNow)} (resourceVersion ${detail.resource_version}). ` +
        "Your unsaved edits are kept; preview shows their change next to yours before anything is applied.";
    showCurrent();
  }

  // ---- stepped change -------------------------------------------------------------------------

  const stepper = stepped();

  function stepped() {
    const box = $("[data-stepped]");
    if (!box || !edit) return { interrupt() {} };
    const canary = rows[rows.length - 1].dataset.backend;
    const field = (name) => $(`[data-step-${name}]`, box);
    const button = (name) => $(`[data-action="step-${name}"]`, box);
    const statusLine = field("status");
    const progress = field("progress");
    const log = field("log");
    let run = null; // {step, every, target, threshold, from, timer, paused, steps}

    const canaryPercent = () => { const total = totalOf(current); return total > 0 ? ((current[canary] ?? 0) / total) * 100 : 0; };

    function say(text, kind = "") {
      statusLine.textContent = text;
      statusLine.className = `small ${kind}`;
    }
    function note(text) {
      const li = document.createElement("li");
      li.textContent = `${window.smiClock(new Date())} ${text}`;
      log.append(li);
    }
    function controls() {
      const running = Boolean(run);
      button("start").disabled = running && !run.paused;
      button("start").textContent = running && run.paused ? "Resume" : "Start stepped change";
      button("pause").disabled = !running || run.paused;
      button("abort").disabled = !running;
      for (const name of ["percent", "every", "unit", "target", "threshold"]) field(name).disabled = running && !run.paused;
      edit.setEnabled(!running);
      box.dataset.running = running ? (run.paused ? "paused" : "running") : "idle";
    }
    function showProgress() {
      const span = run.target - run.from;
      progress.hidden = false;
      progress.value = span > 0 ? Math.max(0, Math.min(100, ((canaryPercent() - run.from) / span) * 100)) : 100;
    }

    /** Canary weights at `percent` of the total; the others share the rest in their current proportion. */
    function weightsAt(percent) {
      const scale = state.scale;
      const canaryWeight = Math.round((percent / 100) * scale);
      const others = rows.map((row) => row.dataset.backend).filter((s) => s !== canary);
      const otherTotal = others.reduce((sum, s) => sum + (current[s] ?? 0), 0);
      const rest = scale - canaryWeight;
      const wanted = { [canary]: canaryWeight };
      others.forEach((s) => { wanted[s] = Math.floor(otherTotal > 0 ? ((current[s] ?? 0) / otherTotal) * rest : (s === others[0] ? rest : 0)); });
      wanted[others[0]] += scale - totalOf(wanted); // rounding remainder to the stable backend
      return wanted;
    }

    function stop(text, kind) {
      if (run) clearTimeout(run.timer);
      run = null;
      say(text, kind);
      note(text);
      controls();
    }
    function pause(text) {
      clearTimeout(run.timer);
      run.paused = true;
      say(text, "notice");
      note(text);
      controls();
    }

    async function step() {
      if (!run || run.paused) return;
      const now = canaryPercent();
      if (now >= run.target - 1e-9) return stop(`Done: ${canary} at ${formatPercent(now)} after ${run.steps} step(s).`, "ok-state");
      if (liveStatus !== "live") {
        return pause(`Paused: the live connection is ${liveStatus}, so ${canary}'s success rate is unknown; resume when it is live again.`);
      }
      const live = metrics.available ? backendFigures(canary) : { missing: metrics.reason || "no live figures yet" };
      if (live.missing || live.success === null) {
        return pause(`Paused: no live success rate for ${canary} (${live.missing || "no requests"}); resume when figures are back.`);
      }
      if (live.success * 100 < run.threshold) {
        return pause(`Halted: ${canary} success rate ${formatPercent(live.success * 100)} is below ${formatPercent(run.threshold)}. Resume to retry or abort.`);
      }
      const next = Math.min(run.target, now + run.step);
      const wanted = weightsAt(next);
      say(`Step ${run.steps + 1}: previewing ${weightList(wanted)}…`);
      const dry = await edit.send(true, wanted);
      if (!run) return;
      if (dry.status === 409) return stop("Aborted: someone else changed the split; review their weights first.", "error");
      if (dry.status !== 200 || !(dry.data.verdict || {}).accepted) {
        return stop(`Aborted: the cluster refuses step ${run.steps + 1} (${(dry.data.verdict || {}).message || edit.errorsText(dry.data)}).`, "error");
      }
      const result = await edit.send(false, wanted);
      if (!run) return;
      if (result.status !== 200) return stop(`Aborted: applying step ${run.steps + 1} failed (${edit.errorsText(result.data)}).`, "error");
      edit.applied(result.data.resource_version, wanted);
      rows.forEach((row) => { const w = wanted[row.dataset.backend]; $("[data-weight-slider]", row).value = w; $("[data-weight-input]", row).value = w; });
      run.steps += 1;
      showProgress();
      note(`Step ${run.steps}: ${weightList(wanted)} (resourceVersion ${result.data.resource_version}).`);
      if (next >= run.target - 1e-9) return stop(`Done: ${canary} at ${formatPercent(next)} after ${run.steps} step(s).`, "ok-state");
      say(`Step ${run.steps} applied: ${canary} at ${formatPercent(next)}; next step in ${run.every} s.`);
      run.timer = setTimeout(() => step().catch((e) => stop(`Aborted: ${e}`, "error")), run.every * 1000);
    }

    box.addEventListener("click", (event) => {
      const action = (event.target.closest("[data-action]") || {}).dataset?.action;
      if (action === "step-start") {
        const settings = { step: Number(field("percent").value), every: Number(field("every").value) * Number(field("unit").value),
          target: Number(field("target").value), threshold: Number(field("threshold").value) };
        if (!(settings.step > 0 && settings.every > 0 && settings.target > 0 && settings.target <= 100 && settings.threshold >= 0)) {
          return say("Give a step above 0, an interval above 0 and a target between 1 and 100 %.", "error");
        }
        if (run && run.paused) { // the settings may have been changed while paused
          Object.assign(run, settings, { paused: false });
          controls(); note(`Resumed: +${run.step} % every ${run.every} s while success ≥ ${run.threshold} %.`);
          return void step().catch((e) => stop(`Aborted: ${e}`, "error"));
        }
        if (edit.dirty()) return say("Apply or reset your unsaved weights before a stepped change.", "error");
        if (settings.target <= canaryPercent()) return say(`${canary} is already at ${formatPercent(canaryPercent())}.`, "error");
        run = { ...settings, from: canaryPercent(), timer: null, paused: false, steps: 0 };
        log.replaceChildren();
        note(`Started: ${canary} from ${formatPercent(run.from)} to ${formatPercent(run.target)}, +${run.step} % every ${run.every} s while success ≥ ${run.threshold} %.`);
        controls(); showProgress();
        step().catch((e) => stop(`Aborted: ${e}`, "error"));
      } else if (action === "step-pause" && run) {
        pause(`Paused by you: ${canary} at ${formatPercent(canaryPercent())}.`);
      } else if (action === "step-abort" && run) {
        stop(`Aborted by you: ${canary} stays at ${formatPercent(canaryPercent())}.`, "notice");
      }
    });

    return { interrupt(reason) { if (run) stop(`Stopped: ${reason}.`, "notice"); } };
  }

  // ---- wiring -------------------------------------------------------------------------------

  showCurrent();
  if (window.smiLive && state.live) {
    loadHistory();
    window.smiLive.subscribe(state.live, {
      onStatus: (status, detail) => {
        liveStatus = status;
        // Figures from before a drop are not evidence about now: wait for the fresh snapshot the
        // server sends on (re)subscribing before anything, the stepped change included, relies on them.
        if (status !== "live") metrics = { ...metrics, available: null };
        window.smiLive.showStatus(statusNode, status, detail);
      },
      onMessage: (message) => {
        if (message.type === "metrics.delta") onMetrics(message);
        else if ((message.type === "object.changed" && message.kind === state.kind && message.name === state.name
                  && message.namespace === state.namespace)
                 || (message.type === "objects.resynced" && message.kind === state.kind)) {
          onObjectChanged(message).catch(() => {});
        }
      },
    });
  }
  // Sparklines keep moving while figures are steady (the server sends only changes).
  setInterval(() => { if (metrics.available) recordLivePoint(Date.now() / 1000); }, Math.max(1, state.poll_seconds) * 1000);
  const redraw = () => Object.values(series).forEach((entry) => entry.plot && entry.plot.redraw(true));
  new MutationObserver(redraw).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
})();
