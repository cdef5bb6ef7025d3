// Object page: revert to a revision, through the same preview (diff + dry-run verdict) → apply
// as every other edit. Data from the server is only ever put into the page with textContent.
(() => {
  const stateNode = document.getElementById("revert-state");
  if (!stateNode) return;
  const state = JSON.parse(stateNode.textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const panel = document.querySelector("[data-revert-panel]");
  const verdict = panel.querySelector("[data-revert-verdict]");
  const diff = panel.querySelector("[data-revert-diff]");
  const applyButton = panel.querySelector('[data-revert="apply"]');
  let revision = null;

  async function send(preview) {
    const response = await fetch(state.api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify({ revision, base_resource_version: state.resource_version, preview }),
    });
    let data = {};
    try { data = await response.json(); } catch { data = {}; }
    return { status: response.status, data };
  }
  const problems = (data) => (data.errors || []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");

  function show(text, ok) {
    panel.hidden = false;
    verdict.textContent = text;
    verdict.className = ok ? "ok-state" : "error";
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-revert]");
    if (!button) return;
    if (button.dataset.revert === "cancel") { panel.hidden = true; return; }
    if (button.dataset.revert === "preview") revision = Number(button.dataset.revision);
    const preview = button.dataset.revert === "preview";
    const { status, data } = await send(preview);
    if (status === 409 && data.current) {
      applyButton.disabled = true;
      diff.textContent = "";
      return show(`The object changed meanwhile (now resourceVersion ${data.current.metadata.resourceVersion}); reload to revert on top of it.`, false);
    }
    if (status !== 200) { applyButton.disabled = true; return show(problems(data) || "The request failed.", false); }
    if (preview) {
      const accepted = data.verdict && data.verdict.accepted;
      diff.textContent = data.diff || "(no changes)";
      applyButton.disabled = !accepted;
      show(accepted ? "Dry run: the cluster accepts this revert." : `Dry run: refused (${data.verdict.message || problems(data.verdict)}).`, accepted);
      applyButton.focus();
    } else {
      state.resource_version = data.resource_version;
      applyButton.disabled = true;
      show(`Reverted: resourceVersion ${data.resource_version}.`, true);
    }
  });
})();
