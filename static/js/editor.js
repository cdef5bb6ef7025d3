// Editing pages (structured form and YAML editor): build the object, preview it through the REST API
// (diff + the cluster's dry run), apply it, resolve conflicts, delete with confirmation.
// The server decides everything; this file only collects input and shows answers, always with
// textContent (never as HTML).
(() => {
  const stateNode = document.getElementById("editor-state");
  if (!stateNode) return;
  const state = JSON.parse(stateNode.textContent);
  const caps = state.caps;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
  const form = $("[data-editor-form]");
  const formError = $("[data-form-error]");
  const preview = $("[data-preview]");
  const conflict = $("[data-conflict]");
  const applied = $("[data-applied]");
  const deletePanel = $("[data-delete]");
  const yamlArea = $("[data-yaml]");
  let base = state.resource_version;
  let pending = "save"; // what "re-apply on top" repeats: "save" or "delete"
  let dirty = false;
  let lastFields = [];
  // fields the object holds that the version written cannot (from the last preview), dropped only when ticked
  let lostFields = [];
  const dropBox = $("[data-drop]", preview);
  const drops = () => (dropBox && dropBox.checked ? lostFields : []);

  // --- rows: add / remove ------------------------------------------------------------------
  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add]");
    if (add) {
      const type = add.dataset.add;
      const rows = $(`:scope > [data-rows="${type}"]`, add.parentElement);
      const row = $(`template[data-template="${type}"]`).content.querySelector("[data-row]").cloneNode(true);
      rows.append(row);
      withdrawPreview();
      checkReferencesSoon();
      const first = $("input:not([type=checkbox]), select", row);
      if (first) first.focus();
      return;
    }
    const remove = event.target.closest("[data-remove]");
    if (remove) {
      const row = remove.closest("[data-row]");
      const section = row.parentElement.parentElement;
      row.remove();
      withdrawPreview();
      checkReferencesSoon();
      const again = $(":scope > [data-add]", section);
      if (again) again.focus();
    }
  });
  // a preview shows what was sent: once the input changes it no longer does, so it is withdrawn
  const withdrawPreview = () => { dirty = true; if (!preview.hidden) preview.hidden = true; };
  form.addEventListener("input", withdrawPreview);
  form.addEventListener("change", (event) => {  // text fields already said so on input; blur must not count
    if (event.target.matches("select, input[type=checkbox]")) withdrawPreview();
  });
  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches('[data-row="rule"] [data-k="kind"]')) {
      $('[data-k="name"]', target.closest("[data-row]")).setAttribute("list", `dl-${target.value.toLowerCase()}s`);
    }
    if (target.matches('[data-row="rule"] [data-k="name"]')) {  // the match names of the route group it names
      $('[data-k="matches"]', target.closest("[data-row]")).setAttribute("list", `dl-matches-${value(target)}`);
    }
    // a suggestion "namespace/name" fills both fields of an identity
    if (target.matches('[data-row="source"] [data-k="name"], [data-field="destination.name"]') && target.value.includes("/")) {
      const [namespace, name] = target.value.split("/", 2);
      target.value = name;
      const holder = target.closest("[data-row]") || target.closest("fieldset");
      const nsInput = $('[data-k="namespace"], [data-field="destination.namespace"]', holder);
      if (nsInput) nsInput.value = namespace;
    }
    if (target.matches("[data-namespace-select]") && !dirty) {
      const url = new URL(window.location.href);
      url.searchParams.set("namespace", target.value);
      window.location.assign(url.toString());
    }
  });

  // --- the object, from the form ------------------------------------------------------------
  const value = (element) => (element ? element.value.trim() : "");
  const rowsOf = (type, root = form) => $$(`[data-rows="${type}"] > [data-row="${type}"]`, root);
  const field = (row, key) => $(`:scope [data-k="${key}"]`, row);

  function number(text, keepText) {
    if (/^\d+$/.test(text)) return Number(text);
    if (!keepText && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    return text; // the server names the field and says what is wrong with it
  }

  function collect() {
    const fields = [];
    const note = (path, element) => { if (element) fields.push([path, element]); };
    const nameInput = $('[data-field="metadata.name"]', form);
    const namespaceInput = $('[data-field="metadata.namespace"]', form);
    const metadata = state.create
      ? { name: value(nameInput), namespace: value(namespaceInput) }
      : { name: state.name, namespace: state.namespace };
    note("metadata.name", nameInput);
    note("metadata.namespace", namespaceInput);
    const doc = { apiVersion: caps.api_version, kind: state.kind, metadata };
    const body = {};
    const at = caps.top_level ? "" : "spec.";
    const section = (name) => $(`[data-section="${name}"]`, form);

    if (state.kind === "TrafficSplit") {
      const service = $('[data-field="spec.service"]', form);
      body.service = value(service);
      note("spec.service", service);
      note("spec.backends", section("spec.backends"));
      body.backends = rowsOf("backend").map((row, i) => {
        note(`spec.backends[${i}]`, row);
        note(`spec.backends[${i}].service`, field(row, "service"));
        note(`spec.backends[${i}].weight`, field(row, "weight"));
        return { service: value(field(row, "service")), weight: number(value(field(row, "weight")), caps.quantity_weights) };
      });
      if (caps.split_matches) {
        note("spec.matches", section("spec.matches"));
        const matches = rowsOf("split-match").map((row, i) => {
          note(`spec.matches[${i}]`, row);
          note(`spec.matches[${i}].name`, field(row, "name"));
          return { kind: "HTTPRouteGroup", name: value(field(row, "name")) };
        });
        if (matches.length) body.matches = matches;
      }
    } else if (state.kind === "TrafficTarget") {
      const destination = { kind: "ServiceAccount" };
      for (const key of ["name", "namespace", "port"]) {
        const input = $(`[data-field="destination.${key}"]`, form);
        note(`${at}destination.${key}`, input);
        if (input && value(input)) destination[key] = key === "port" ? number(value(input)) : value(input);
      }
      note(`${at}destination`, section("destination"));
      body.destination = destination;
      const rulesKey = caps.version === "v1alpha1" ? "specs" : "rules";
      note(`${at}${rulesKey}`, section("rules"));
      body[rulesKey] = rowsOf("rule").map((row, i) => {
        const path = `${at}${rulesKey}[${i}]`;
        note(path, row);
        const rule = { kind: value(field(row, "kind")), name: value(field(row, "name")) };
        note(`${path}.kind`, field(row, "kind"));
        note(`${path}.name`, field(row, "name"));
        note(`${path}.matches`, field(row, "matches"));
        const matches = value(field(row, "matches")).split(",").map((m) => m.trim()).filter(Boolean);
        if (matches.length) rule.matches = matches;
        return rule;
      });
      note(`${at}sources`, section("sources"));
      body.sources = rowsOf("source").map((row, i) => {
        const path = `${at}sources[${i}]`;
        note(path, row);
        note(`${path}.name`, field(row, "name"));
        note(`${path}.namespace`, field(row, "namespace"));
        const source = { kind: "ServiceAccount", name: value(field(row, "name")) };
        if (value(field(row, "namespace"))) source.namespace = value(field(row, "namespace"));
        return source;
      });
    } else if (state.kind === "HTTPRouteGroup") {
      const shape = $('[data-rows="match"]', form).dataset.headerShape || "list";
      note(`${at}matches`, section("matches"));
      body.matches = rowsOf("match").map((row, i) => {
        const path = `${at}matches[${i}]`;
        note(path, row);
        note(`${path}.name`, field(row, "name"));
        note(`${path}.pathRegex`, field(row, "pathRegex"));
        note(`${path}.methods`, $("[data-methods]", row));
        const match = { name: value(field(row, "name")) };
        if (value(field(row, "pathRegex"))) match.pathRegex = value(field(row, "pathRegex"));
        const methods = $$("[data-method]:checked", row).map((box) => box.value);
        if (methods.length) match.methods = methods;
        if (caps.headers) {
          const headers = rowsOf("header", row).map((header, j) => {
            const name = value(field(header, "name"));
            note(shape === "map" ? `${path}.headers[${name}]` : `${path}.headers[${j}]`, field(header, "name"));
            return [name, value(field(header, "value"))];
          });
          if (headers.length) {
            match.headers = shape === "map" ? Object.fromEntries(headers)
              : headers.map(([name, regex]) => ({ [name]: regex }));
          }
        }
        return match;
      });
    } else if (caps.ports) {
      note("spec.matches.ports", section("ports"));
      const ports = rowsOf("port").map((row, i) => {
        note(`spec.matches.ports[${i}]`, field(row, "port"));
        return number(value(field(row, "port")));
      });
      body.matches = { ports };
      const matchName = $('[data-field="matches.name"]', form);
      if (matchName) body.matches.name = matchName.value;
    }
    if (caps.top_level) Object.assign(doc, body); else doc.spec = body;
    return { doc, fields };
  }

  // --- references: the server says which names match nothing it knows of ---------------------
  // Warnings only: they never block a preview or an apply (the object may be created later).
  let referenceTimer = null;
  let referenceRound = 0;
  function checkReferencesSoon() {
    if (yamlArea || !state.references) return;
    clearTimeout(referenceTimer);
    referenceTimer = setTimeout(checkReferences, 300);
  }
  async function checkReferences() {
    const round = ++referenceRound;
    const { doc, fields } = collect();
    let answer;
    try { answer = await send("POST", state.references, { manifest: doc }); } catch { return; }
    if (round !== referenceRound) return;  // the form changed meanwhile: a newer answer is coming
    $$("[data-ref-warning]").forEach((node) => node.remove());
    for (const input of $$("[data-ref-warned]")) {
      if (input.getAttribute("aria-describedby") === input.dataset.refWarned) input.removeAttribute("aria-describedby");
      input.removeAttribute("data-ref-warned");
    }
    for (const warning of (answer.status === 200 && answer.data.warnings) || []) {
      const element = locate(warning.path || "", fields);
      if (!element || !element.matches("input")) continue;
      const note = document.createElement("p");
      note.className = "field-warning notice small";
      note.dataset.refWarning = warning.path;
      note.id = `warning-${Math.random().toString(36).slice(2)}`;
      note.textContent = `⚠ ${warning.message}`;
      element.dataset.refWarned = note.id;
      element.setAttribute("aria-describedby", note.id);
      (element.closest(".edit-row") || element.parentElement).append(note);
    }
  }
  if (!yamlArea && state.references) {
    form.addEventListener("input", checkReferencesSoon);
    form.addEventListener("change", checkReferencesSoon);
    checkReferences();
  }

  // --- talking to the API -----------------------------------------------------------------
  async function send(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch { data = {}; }
    return { status: response.status, data };
  }

  function saveRequest(isPreview) {
    let content;
    if (yamlArea) {
      content = { yaml: yamlArea.value };
      lastFields = [];
    } else {
      const { doc, fields } = collect();
      content = { manifest: doc };
      lastFields = fields;
    }
    if (state.create) return send("POST", state.api_create, { cluster: state.cluster, preview: isPreview, ...content });
    return send("PUT", state.api_object, { base_resource_version: base, preview: isPreview,
      drop_fields: isPreview ? [] : drops(), ...content });
  }

  function deleteRequest(isPreview) {
    const query = new URLSearchParams({ resource_version: base, preview: isPreview ? "true" : "false" });
    return send("DELETE", `${state.api_object}?${query}`);
  }

  // --- showing answers ----------------------------------------------------------------------
  function showDiff(node, text) {
    node.textContent = "";
    for (const line of text.split("\n")) {
      const span = document.createElement("span");
      if (/^[+-]{3} /.test(line) || line.startsWith("@@")) span.className = "diff-meta";
      else if (line.startsWith("+")) span.className = "diff-add";
      else if (line.startsWith("-")) span.className = "diff-del";
      span.textContent = `${line}\n`;
      node.append(span);
    }
  }

  const describe = (e) => (e.path ? `${e.path}: ${e.message}` : e.message);

  function clearErrors() {
    $$("[data-field-error]").forEach((node) => node.remove());
    $$("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
    formError.hidden = true;
    formError.textContent = "";
    const list = $("[data-yaml-errors]");
    if (list) list.textContent = "";
  }

  function locate(path, fields = lastFields) {
    let best = null;
    for (const [registered, element] of fields) {
      const fits = path === registered || path.startsWith(`${registered}.`) || path.startsWith(`${registered}[`);
      if (fits && (!best || registered.length > best[0].length)) best = [registered, element];
    }
    return best && best[1];
  }

  function placeNextTo(element, error) {
    const note = document.createElement("p");
    note.className = "field-error";
    note.dataset.fieldError = error.path;
    note.textContent = describe(error);
    if (element.matches("input, select, textarea")) {
      element.setAttribute("aria-invalid", "true");
      const id = `error-${Math.random().toString(36).slice(2)}`;
      note.id = id;
      element.setAttribute("aria-describedby", id);
      (element.closest("label") || element).after(note);
    } else {
      element.setAttribute("aria-invalid", "true");
      element.append(note);
    }
  }

  function showErrors(errors, fallback) {
    const unplaced = [];
    let first = null;
    for (const error of errors || []) {
      const element = locate(error.path || "");
      if (element) {
        placeNextTo(element, error);
        first = first || element;
      } else {
        unplaced.push(error);
      }
    }
    if (yamlArea) {
      const list = $("[data-yaml-errors]");
      for (const error of unplaced) {
        const item = document.createElement("li");
        item.dataset.fieldError = error.path;
        item.textContent = describe(error);
        list.append(item);
        const line = /at line (\d+)/.exec(error.message || "");
        if (line) selectLine(Number(line[1]));
      }
      if (!errors || !errors.length) { formError.textContent = fallback; formError.hidden = false; }
    } else if (unplaced.length || !errors || !errors.length) {
      formError.textContent = unplaced.length ? unplaced.map(describe).join("; ") : fallback;
      formError.hidden = false;
    }
    if (first && first.matches("input, select, textarea")) first.focus();
  }

  function showConflict(current) {
    const theirs = (current.metadata || {}).resourceVersion || "?";
    $("[data-their-version]").textContent = theirs;
    $("[data-my-version]").textContent = base;
    const shown = JSON.parse(JSON.stringify(current));
    if (shown.metadata) delete shown.metadata.managedFields;
    $("[data-their-yaml]").textContent = toYaml(shown);
    conflict.dataset.theirs = theirs;
    conflict.hidden = false;
    preview.hidden = true;
    $('[data-action="reapply"]', conflict).focus();
  }

  function problemStatus(status, data, what) {
    if (status === 409 && data.controller) {
      showErrors(data.errors, "A controller manages this object.");
    } else if (status === 409 && data.current) {
      showConflict(data.current);
    } else if (status === 403) {
      showErrors([], `Your role does not allow this ${what}. ${(data.errors || []).map(describe).join("; ")}`);
    } else if (status >= 500) {
      showErrors([], `The cluster could not be reached (${(data.errors || []).map(describe).join("; ") || status}); try again.`);
    } else {
      showErrors(data.errors, `The ${what} failed (${status}).`);
    }
  }

  async function save(isPreview) {
    pending = "save";
    clearErrors();
    conflict.hidden = true;
    applied.hidden = true;
    const { status, data } = await saveRequest(isPreview);
    if (status !== 200 && status !== 201) { preview.hidden = true; return problemStatus(status, data, "change"); }
    if (isPreview) {
      const accepted = data.verdict && data.verdict.accepted;
      const verdict = $("[data-verdict]", preview);
      verdict.textContent = accepted ? "Dry run: the cluster accepts this change."
        : `Dry run: the cluster refuses this change (${data.verdict.message}).`;
      verdict.className = accepted ? "ok-state" : "error";
      const list = $("[data-verdict-errors]", preview);
      list.textContent = "";
      for (const error of (accepted ? [] : data.verdict.errors || [])) {
        const item = document.createElement("li");
        item.textContent = describe(error);
        list.append(item);
      }
      if (!accepted) showErrors(data.verdict.errors, data.verdict.message);
      showDiff($("[data-diff]", preview), data.diff || "(no changes)");
      lostFields = (data.lost_fields || []).map((field) => field.path);
      const lostList = $("[data-lost-fields]", preview);
      lostList.textContent = "";
      for (const field of data.lost_fields || []) {
        const item = document.createElement("li");
        item.textContent = `${field.path}: ${field.message}`;
        lostList.append(item);
      }
      $("[data-lost]", preview).hidden = lostFields.length === 0;
      const apply = $('[data-action="apply"]', preview);
      dropBox.checked = false;
      apply.disabled = !accepted || lostFields.length > 0;
      dropBox.onchange = () => { apply.disabled = !accepted || (lostFields.length > 0 && !dropBox.checked); };
      preview.hidden = false;
      (accepted ? $('[data-action="apply"]', preview) : verdict).focus?.();
      return;
    }
    preview.hidden = true;
    const metadata = (data.object && data.object.metadata) || {};
    const objectUrl = state.object_url.replace("{namespace}", encodeURIComponent(metadata.namespace || state.namespace))
      .replace("{name}", encodeURIComponent(metadata.name || state.name));
    base = data.resource_version;
    const shownBase = $('[data-testid="base-version"]');
    if (shownBase) shownBase.textContent = base;
    applied.textContent = "";
    applied.append(`${state.create ? "Created" : "Applied"}: ${state.kind} ${metadata.namespace}/${metadata.name} is at resourceVersion ${data.resource_version}. `);
    const link = document.createElement("a");
    link.href = objectUrl;
    link.textContent = "Open the object";
    applied.append(link);
    applied.hidden = false;
    if (state.create) $$("button, input, select, textarea", form).forEach((node) => { node.disabled = true; });
    dirty = false;
    link.focus();
  }

  async function remove(isPreview) {
    pending = "delete";
    clearErrors();
    conflict.hidden = true;
    const { status, data } = await deleteRequest(isPreview);
    if (status !== 200) { deletePanel.hidden = true; return problemStatus(status, data, "deletion"); }
    const verdict = $("[data-delete-verdict]", deletePanel);
    const confirm = $("[data-delete-confirm]", deletePanel);
    const button = $('[data-action="delete"]', deletePanel);
    if (isPreview) {
      const accepted = data.verdict && data.verdict.accepted;
      verdict.textContent = accepted ? "Dry run: the cluster accepts the deletion."
        : `Dry run: the cluster refuses the deletion (${data.verdict.message}).`;
      verdict.className = accepted ? "ok-state" : "error";
      showDiff($("[data-delete-diff]", deletePanel), data.diff || "");
      deletePanel.dataset.accepted = accepted ? "true" : "false";
      confirm.value = "";
      button.disabled = true;
      deletePanel.hidden = false;
      preview.hidden = true;
      confirm.focus();
      return;
    }
    deletePanel.hidden = true;
    form.hidden = true;
    applied.textContent = "";
    applied.append(`Deleted: ${state.kind} ${state.namespace}/${state.name}. `);
    const link = document.createElement("a");
    link.href = state.list_url;
    link.textContent = "Back to the objects";
    applied.append(link);
    applied.hidden = false;
    link.focus();
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); save(true); });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "apply") save(false);
    else if (action === "cancel") { preview.hidden = true; $('[data-action="preview"]', form).focus(); }
    else if (action === "reapply") {
      base = conflict.dataset.theirs;
      conflict.hidden = true;
      if (pending === "delete") remove(true); else save(true);
    } else if (action === "delete-preview") remove(true);
    else if (action === "delete") remove(false);
    else if (action === "cancel-delete") { deletePanel.hidden = true; }
  });
  if (window.location.hash === "#delete" && state.api_object) remove(true);
  if (deletePanel) {
    $("[data-delete-confirm]", deletePanel).addEventListener("input", (event) => {
      $('[data-action="delete"]', deletePanel).disabled =
        event.target.value !== state.name || deletePanel.dataset.accepted !== "true";
    });
  }

  // --- the YAML editor: line numbers, indentation, jump to the line an error names ---------
  function selectLine(line) {
    const lines = yamlArea.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
    yamlArea.focus();
    yamlArea.setSelectionRange(start, start + (lines[line - 1] || "").length);
  }

  if (yamlArea) {
    const gutter = $("[data-gutter]");
    const number = () => {
      const count = yamlArea.value.split("\n").length;
      gutter.textContent = Array.from({ length: count }, (_, i) => i + 1).join("\n");
      gutter.scrollTop = yamlArea.scrollTop;
    };
    let escaped = false; // Escape, then Tab, leaves the editor (keyboard users are never trapped)
    yamlArea.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { escaped = true; return; }
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); save(true); return; }
      if (event.key === "Tab" && !escaped && !event.shiftKey) {
        event.preventDefault();
        const { selectionStart: start, selectionEnd: end } = yamlArea;
        yamlArea.setRangeText("  ", start, end, "end");
        number();
      }
      if (event.key !== "Escape") escaped = false;
    });
    yamlArea.addEventListener("input", number);
    yamlArea.addEventListener("scroll", () => { gutter.scrollTop = yamlArea.scrollTop; });
    number();
  }

  // --- a small YAML writer, to show the other version as the YAML the pages use --------------
  function scalar(v) {
    if (v === null || v === undefined) return "null";
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    const s = String(v);
    const plain = /^[A-Za-z0-9_./][A-Za-z0-9_ ./()*+?-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|~|[-+]?[0-9.]+)$/i.test(s) && !/ $/.test(s);
    return plain ? s : JSON.stringify(s);
  }
  function toYaml(v, indent = "") {
    if (Array.isArray(v)) {
      if (!v.length) return "[]";
      return v.map((item) => {
        if (item && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length) {
          return `${indent}- ${toYaml(item, `${indent}  `).trimStart()}`;
        }
        return `${indent}- ${block(item, `${indent}  `)}`;
      }).join("\n");
    }
    if (v && typeof v === "object") {
      const keys = Object.keys(v);
      if (!keys.length) return "{}";
      return keys.map((key) => {
        const item = v[key];
        const nested = item && typeof item === "object" && (Array.isArray(item) ? item.length : Object.keys(item).length);
        return nested ? `${indent}${scalar(key)}:\n${toYaml(item, Array.isArray(item) ? indent : `${indent}  `)}`
          : `${indent}${scalar(key)}: ${block(item, `${indent}  `)}`;
      }).join("\n");
    }
    return scalar(v);
  }
  function block(v, indent) {
    const nested = v && typeof v === "object" && Object.keys(v).length;
    return nested ? `\n${toYaml(v, indent)}` : toYaml(v, indent);
  }
})();
