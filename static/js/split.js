// Traffic split page: sliders and numbers per backend, shares recomputed as weights change,
// then preview (diff + dry-run verdict) → apply through the REST API. A 409 conflict shows
// the other person's version and lets the user re-apply on top of it.
// Data is only ever put into the page with textContent.
(() => {
  const stateNode = document.getElementById("split-state");
  if (!stateNode) return;
  const state = JSON.parse(stateNode.textContent);
  const original = Object.fromEntries(state.backends.map((b) => [b.service, b.weight]));
  let baseVersion = state.resource_version;
  let theirs = null; // the version a conflict revealed: { version, weights }
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (sel, root = document) => root.querySelector(sel);
  const rows = [...document.querySelectorAll("[data-backend]")];
  const previewBox = $("[data-preview]");
  const conflictBox = $("[data-conflict]");
  const appliedBox = $("[data-applied]");
  const errorBox = $("[data-form-error]");

  const weights = () => Object.fromEntries(rows.map((row) => [row.dataset.backend, Number($("[data-weight-input]", row).value) || 0]));

  function setWeight(row, value) {
    const clamped = Math.max(0, Math.min(state.scale, Math.round(value)));
    $("[data-weight-slider]", row).value = clamped;
    $("[data-weight-input]", row).value = clamped;
  }

  function refreshShares() {
    const current = weights();
    const total = Object.values(current).reduce((a, b) => a + b, 0);
    for (const row of rows) {
      const share = total > 0 ? (current[row.dataset.backend] / total) * 100 : 0;
      $("[data-share]", row).textContent = `${share.toFixed(2).replace(/\.?0+$/, "")} %`;
      $(".share-bar span", row).style.width = `${share}%`;
    }
    errorBox.hidden = total > 0;
    errorBox.textContent = total > 0 ? "" : "At least one backend needs a weight above 0.";
    hide(previewBox);
  }

  function hide(node) { node.hidden = true; }
  function showError(text) { errorBox.hidden = false; errorBox.textContent = text; }

  for (const row of rows) {
    $("[data-weight-slider]", row).addEventListener("input", (e) => { setWeight(row, Number(e.target.value)); refreshShares(); });
    $("[data-weight-input]", row).addEventListener("input", (e) => { setWeight(row, Number(e.target.value)); refreshShares(); });
  }

  const locked = (row) => $("[data-lock]", row).checked;
  function spreadEvenly() {
    const free = rows.filter((row) => !locked(row));
    if (!free.length) return;
    const lockedSum = rows.filter(locked).reduce((sum, row) => sum + weights()[row.dataset.backend], 0);
    const each = Math.max(0, state.scale - lockedSum) / free.length;
    free.forEach((row, i) => setWeight(row, i === free.length - 1 ? Math.max(0, state.scale - lockedSum - Math.round(each) * (free.length - 1)) : each));
  }
  function allTo(target) {
    for (const row of rows) if (!locked(row)) setWeight(row, row === target ? state.scale : 0);
  }

  async function send(preview) {
    const body = { base_resource_version: baseVersion, weights: weights(), preview };
    const response = await fetch(state.api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch { data = {}; }
    return { status: response.status, data };
  }

  function errorsText(data) {
    return (data.errors || []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ") || "The request failed.";
  }

  function showConflict(current) {
    hide(previewBox);
    conflictBox.hidden = false;
    $("[data-their-version]").textContent = current.metadata.resourceVersion;
    const list = $("[data-their-weights]");
    list.replaceChildren(...(current.spec.backends || []).map((b) => {
      const li = document.createElement("li");
      li.textContent = `${b.service}: ${b.weight}`;
      return li;
    }));
    $("[data-their-yaml]").textContent = JSON.stringify(current, null, 2);
    theirs = { version: current.metadata.resourceVersion,
      weights: Object.fromEntries((current.spec.backends || []).map((b) => [b.service, Number(b.weight) || 0])) };
    conflictBox.focus();
  }

  async function preview() {
    hide(conflictBox); appliedBox.hidden = true;
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

  async function apply() {
    const { status, data } = await send(false);
    if (status === 409 && data.current) return showConflict(data.current);
    if (status !== 200) return showError(errorsText(data));
    hide(previewBox);
    baseVersion = data.resource_version;
    document.querySelector('[data-testid="resource-version"]').textContent = baseVersion;
    for (const row of rows) original[row.dataset.backend] = weights()[row.dataset.backend];
    appliedBox.hidden = false;
    appliedBox.textContent = `Applied: resourceVersion ${baseVersion}.`;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "even") spreadEvenly();
    else if (action === "promote") allTo(rows[rows.length - 1]);
    else if (action === "rollback") allTo(rows[0]);
    else if (action === "reset") rows.forEach((row) => setWeight(row, original[row.dataset.backend]));
    else if (action === "preview") return void preview().catch((e) => showError(String(e)));
    else if (action === "apply") return void apply().catch((e) => showError(String(e)));
    else if (action === "cancel") return hide(previewBox);
    else if (action === "reapply") { baseVersion = theirs.version; hide(conflictBox); return void preview(); }
    else if (action === "take-theirs") {
      baseVersion = theirs.version;
      rows.forEach((row) => { original[row.dataset.backend] = theirs.weights[row.dataset.backend] ?? 0; setWeight(row, original[row.dataset.backend]); });
      hide(conflictBox);
    }
    refreshShares();
  });
})();
