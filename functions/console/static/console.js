// The operator console: one page over the HTTP API (every call below is in openapi.json), signed in with the staff
// user's Cognito id token. No framework and no build step: the page is small enough to read in one sitting.

const base = location.pathname.replace(/console\/.*$/, "");  // the API's root: "/" locally, "/<stage>/" on AWS
const $ = (selector, root = document) => root.querySelector(selector);
const state = { token: null, config: null, filters: {}, pages: [null], page: 0, rows: [], selected: new Set(), current: null };

// ---------------------------------------------------------------- answers shown to people

function show(message, kind = "ok") {
  const line = document.createElement("p");
  line.className = kind;
  line.textContent = message;
  $("#answer").replaceChildren(line);
}

function describeError(error) {
  if (error.body && error.body.message) {
    const details = (error.body.details || [])
      .map((detail) => [detail.field || detail.id || detail.product_id, detail.problem || detail.reason].filter(Boolean).join(": "))
      .filter(Boolean);
    return `${error.body.message}${details.length ? ` (${details.join("; ")})` : ""}`;
  }
  if (error.status === 0) return "The API could not be reached; check the connection and try again.";
  return `The API answered ${error.status}${error.statusText ? ` ${error.statusText}` : ""}.`;
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, statusText, body) {
    super(`HTTP ${status}`);
    Object.assign(this, { status, statusText, body });
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "", null);
  }
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (response.status === 401) {
    signOut("Your session has ended; sign in again.");
    throw new ApiError(401, response.statusText, parsed);
  }
  if (!response.ok) throw new ApiError(response.status, response.statusText, parsed);
  return parsed;
}

// A button runs its action once at a time: a double click while the request is out does nothing more.
async function guarded(button, run) {
  if (button.dataset.busy) return;
  button.dataset.busy = "1";
  button.disabled = true;
  try { await run(); } catch (error) { if (error instanceof ApiError) show(describeError(error), "error"); else throw error; }
  finally { delete button.dataset.busy; button.disabled = false; refreshSelection(); }
}

function action(button, run) {
  button.addEventListener("click", (event) => { event.preventDefault(); guarded(button, run); });
}

function onSubmit(form, run) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(form.querySelector("button[type=submit]"), () => run(new FormData(form)));
  });
}

// ---------------------------------------------------------------- sign-in

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch { return null; }
}

function usable(token) {
  const payload = token && claims(token);
  return Boolean(payload && (!payload.exp || payload.exp * 1000 > Date.now() + 30000));
}

async function cognito(target, payload) {
  const response = await fetch(state.config.cognito_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}` },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || "Sign-in failed.");
  return body;
}

let challenge = null;

async function signIn(form) {
  const username = form.get("username");
  const answer = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH", ClientId: state.config.client_id,
    AuthParameters: { USERNAME: username, PASSWORD: form.get("password") },
  });
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    challenge = { username, session: answer.Session };
    $("#sign-in-form").hidden = true;
    $("#new-password-form").hidden = false;
    show("Choose a new password to finish signing in.");
    return;
  }
  signedIn(answer.AuthenticationResult.IdToken);
}

async function setNewPassword(form) {
  const answer = await cognito("RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED", ClientId: state.config.client_id, Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: form.get("new_password") },
  });
  signedIn(answer.AuthenticationResult.IdToken);
}

function signedIn(token) {
  state.token = token;
  sessionStorage.setItem("console.id_token", token);
  const payload = claims(token) || {};
  $("#who-name").textContent = payload.email || payload["cognito:username"] || "signed in";
  $("#sign-in").hidden = true;
  for (const id of ["#app", "#nav", "#who"]) $(id).hidden = false;
  show("Signed in.");
  loadEverything();
}

function signOut(message = "Signed out.") {
  state.token = null;
  sessionStorage.removeItem("console.id_token");
  for (const id of ["#app", "#nav", "#who"]) $(id).hidden = true;
  $("#sign-in").hidden = false;
  $("#sign-in-form").hidden = false;
  $("#new-password-form").hidden = true;
  show(message, message === "Signed out." || message === "Sign in to go on." ? "ok" : "error");
}

// ---------------------------------------------------------------- health

const percent = (value) => (value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)} %`);
const millis = (value) => (value === null || value === undefined ? "–" : `${Math.round(value)} ms`);

async function loadHealth() {
  const stats = await api("GET", "opensolar/stats");
  $("#fig-success").textContent = percent(stats.sync_success_rate);
  $("#fig-avg").textContent = millis(stats.avg_sync_ms);
  $("#fig-webhook-errors").textContent = String(stats.webhook_errors_24h);
  $("#fig-failed").textContent = `${stats.failed_syncs - stats.retries_exhausted} / ${stats.retries_exhausted}`;
  $("#count-synced").textContent = String(stats.synced);
  $("#count-pending").textContent = String(stats.pending);
  $("#count-failed").textContent = String(stats.failed_syncs);
  $("#health-at").textContent = `as of ${new Date().toLocaleTimeString()}`;
}

// ---------------------------------------------------------------- projects

function badge(text, kind) {
  const span = document.createElement("span");
  span.className = `badge ${kind}-${text}`;
  span.textContent = text.replace("_", " ");
  return span;
}

function cell(row, content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content); else td.textContent = content ?? "";
  row.append(td);
  return td;
}

function button(label, run, secondary = true) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  if (secondary) element.className = "secondary";
  action(element, run);
  return element;
}

const when = (value) => (value ? new Date(value).toLocaleString() : "");

async function syncOne(id, force = false) {
  const answer = await api("POST", `opensolar/projects/${encodeURIComponent(id)}/sync${force ? "?force=true" : ""}`);
  show(answer.queued ? `Sync of ${id} queued.` : `Sync of ${id} not queued.`);
}

function renderProjects() {
  const needle = $("#name-filter").value.trim().toLowerCase();
  const body = $("#project-table tbody");
  const rows = state.rows.filter((project) => !needle || project.customer_name.toLowerCase().includes(needle));
  body.replaceChildren(...rows.map((project) => {
    const row = document.createElement("tr");
    row.dataset.id = project.id;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.setAttribute("aria-label", `Select ${project.id}`);
    box.checked = state.selected.has(project.id);
    box.addEventListener("change", () => { if (box.checked) state.selected.add(project.id); else state.selected.delete(project.id); refreshSelection(); });
    cell(row, box);
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    open.textContent = project.id;
    open.addEventListener("click", () => openProject(project.id));
    cell(row, open);
    cell(row, project.customer_name);
    cell(row, badge(project.status, "status"));
    const sync = cell(row, badge(project.sync_status, "sync"));
    if (project.last_error && project.sync_status !== "synced") {
      const reason = document.createElement("small");
      reason.className = "why";
      reason.textContent = project.last_error.length > 140 ? `${project.last_error.slice(0, 139)}…` : project.last_error;
      reason.title = project.last_error;
      sync.append(reason);
    }
    cell(row, project.opensolar_project_id || "–");
    cell(row, when(project.last_synced_at));
    const actions = cell(row, button("Sync", () => syncOne(project.id)));
    actions.append(" ", button("Force re-sync", () => syncOne(project.id, true)));
    return row;
  }));
  $("#projects-empty").hidden = rows.length > 0;
  refreshSelection();
}

function refreshSelection() {
  $("#selected-count").textContent = String(state.selected.size);
  const syncSelected = $("#sync-selected");
  if (!syncSelected.dataset.busy) syncSelected.disabled = state.selected.size === 0;
  $("#select-all").checked = state.rows.length > 0 && state.rows.every((project) => state.selected.has(project.id));
}

async function loadProjects() {
  const query = new URLSearchParams({ limit: "25" });
  for (const [key, value] of Object.entries(state.filters)) if (value) query.set(key, value);
  const token = state.pages[state.page];
  if (token) query.set("next_token", token);
  const page = await api("GET", `opensolar/projects?${query}`);
  state.rows = page.items;
  state.pages[state.page + 1] = page.next_token;
  $("#next-page").disabled = !page.next_token;
  $("#first-page").disabled = state.page === 0;
  $("#page-info").textContent = `Page ${state.page + 1}, ${page.items.length} shown`;
  renderProjects();
}

async function bulkSync(ids) {
  const queued = [];
  const rejected = [];
  for (let start = 0; start < ids.length; start += 100) {
    const answer = await api("POST", "opensolar/projects/sync", { ids: ids.slice(start, start + 100) });
    queued.push(...answer.queued);
    rejected.push(...answer.rejected);
  }
  const refused = rejected.map((item) => `${item.id}: ${item.reason}`).join("; ");
  show(`${queued.length} sync${queued.length === 1 ? "" : "s"} queued.${refused ? ` Not queued: ${refused}` : ""}`, rejected.length && !queued.length ? "error" : "ok");
  return queued;
}

async function failedIds() {
  const ids = [];
  let token = null;
  do {
    const query = new URLSearchParams({ sync_status: "failed", limit: "100" });
    if (token) query.set("next_token", token);
    const page = await api("GET", `opensolar/projects?${query}`);
    ids.push(...page.items.map((project) => project.id));
    token = page.next_token;
  } while (token && ids.length < 1000);
  return ids;
}

// ---------------------------------------------------------------- one project

function facts(list, entries) {
  list.replaceChildren(...entries.flatMap(([label, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    if (value instanceof Node) dd.append(value); else dd.textContent = value ?? "–";
    return [dt, dd];
  }));
}

function rowsOf(table, items, columns) {
  const body = $(`${table} tbody`);
  body.replaceChildren(...items.map((item) => {
    const row = document.createElement("tr");
    for (const column of columns) cell(row, column(item));
    return row;
  }));
  if (!items.length) {
    const row = document.createElement("tr");
    const td = cell(row, "None yet.");
    td.colSpan = columns.length;
    body.append(row);
  }
}

const newestFirst = (items, key) => [...items].sort((a, b) => String(b[key]).localeCompare(String(a[key])));

async function openProject(id) {
  const project = await api("GET", `opensolar/projects/${encodeURIComponent(id)}`);
  state.current = project;
  const [record, order, logs, deliveries] = await Promise.all([
    api("GET", `service-requests/${encodeURIComponent(project.ssr_id)}`),
    api("GET", `orders/${encodeURIComponent(project.order_id)}`).catch(() => null),
    api("GET", `opensolar/projects/${encodeURIComponent(id)}/sync-logs`),
    api("GET", "opensolar/webhook-logs?limit=100"),
  ]);
  const stage = project.opensolar_stage;
  facts($("#detail-facts"), [
    ["Installation request", project.id],
    ["Status", badge(project.status, "status")],
    ["Sync", badge(project.sync_status, "sync")],
    ["Last error", project.last_error],
    ["Customer", project.customer_name],
    ["Installation type", project.installation_type],
    ["Installation date", project.installation_date],
    ["SSR", record.ssr ? `${record.ssr.ssr_id} (${record.ssr.system_size_kw ?? "?"} kW ${record.ssr.system_type})` : "–"],
    ["Order", order ? `${order.order_id} · ${order.order_number} · ${order.stage} / ${order.payment_status}` : project.order_id],
    ["Automation", record.automation ? `${record.automation.state}${record.automation.reason ? `: ${record.automation.reason}` : ""}` : "–"],
    ["OpenSolar project", project.opensolar_project_id],
    ["OpenSolar stage", stage ? `workflow ${stage.workflow_id ?? "?"}, stage ${stage.active_stage_id ?? "?"}, milestone ${stage.milestone ?? "?"}` : "–"],
    ["Contract signed", when(project.contract_signed_at)],
    ["Created", when(project.created_at)],
    ["Last synced", when(project.last_synced_at)],
    ["Retries used", String(project.retry_count)],
  ]);
  rowsOf("#sync-logs", newestFirst(logs.items, "at"), [
    (log) => when(log.at), (log) => log.operation, (log) => (log.success ? "succeeded" : log.outcome || "failed"),
    (log) => log.http_status ?? "", (log) => (log.duration_ms === undefined ? "" : Math.round(log.duration_ms)), (log) => log.error || "",
  ]);
  const ours = deliveries.items.filter((delivery) => project.opensolar_project_id && JSON.stringify(delivery.payload).includes(String(project.opensolar_project_id)));
  rowsOf("#webhook-logs", newestFirst(ours, "received_at"), [
    (delivery) => when(delivery.received_at), (delivery) => delivery.status, (delivery) => delivery.event_key, (delivery) => delivery.error || delivery.detail || "",
  ]);
  rowsOf("#audit", newestFirst(record.audit, "at"), [(entry) => when(entry.at), (entry) => entry.action, (entry) => entry.detail]);
  $("#detail-title").textContent = `Project ${project.id}`;
  $("#detail").hidden = false;
  $("#detail-title").focus();
}

// ---------------------------------------------------------------- orders needing attention

async function loadAttention() {
  const page = await api("GET", "automation/orders?limit=100");
  rowsOf("#attention-table", page.items, [
    (item) => item.order_id, (item) => badge(item.state, "state"), (item) => item.reason || "", (item) => when(item.updated_at),
    (item) => button("Re-run automation", async () => {
      const answer = await api("POST", `orders/${encodeURIComponent(item.order_id)}/automation/rerun`);
      show(`Automation of ${item.order_id} started again (${answer.execution}).`);
      await loadAttention();
    }),
  ]);
  for (const row of $("#attention-table tbody").rows) if (row.cells.length > 2) row.cells[2].className = "reason";
  $("#attention-empty").hidden = page.items.length > 0;
}

// ---------------------------------------------------------------- integration

const SWITCHES = ["is_active", "auto_sync_enabled", "webhooks_enabled"];
const NUMBERS = ["org_id", "api_timeout_s", "max_retries"];

async function loadConfig() {
  const config = await api("GET", "opensolar/config");
  const form = $("#config-form");
  for (const name of SWITCHES) form.elements[name].checked = Boolean(config[name]);
  for (const name of NUMBERS) form.elements[name].value = config[name] ?? "";
  form.elements.base_url.value = config.base_url ?? "";
  form.elements.status_map.value = JSON.stringify(config.status_map ?? {}, null, 2);
  form.elements.stage_map.value = JSON.stringify(config.stage_map ?? {}, null, 2);
}

async function saveConfig() {
  const form = $("#config-form");
  const body = { base_url: form.elements.base_url.value || null };
  for (const name of SWITCHES) body[name] = form.elements[name].checked;
  for (const name of NUMBERS) if (form.elements[name].value !== "") body[name] = Number(form.elements[name].value);
  for (const name of ["status_map", "stage_map"]) {
    try { body[name] = JSON.parse(form.elements[name].value || "{}"); } catch {
      show(`The ${name.replace("_", " ")} is not valid JSON.`, "error");
      form.elements[name].focus();
      return;
    }
  }
  await api("PUT", "opensolar/config", body);
  await loadConfig();
  show("Settings saved.");
}

function showRegistration(registration) {
  facts($("#registration"), registration ? [
    ["Webhook id", String(registration.webhook_id)],
    ["Enabled", registration.enabled ? "yes" : "no"],
    ["Endpoint", registration.endpoint],
    ["Triggers", (registration.trigger_fields || []).join(", ")],
  ] : [["State", "not registered"]]);
}

async function loadRegistration() {
  try { showRegistration(await api("GET", "opensolar/webhook-registration")); } catch (error) {
    if (error.status === 404) showRegistration(null); else throw error;
  }
}

// ---------------------------------------------------------------- wiring

async function loadEverything() {
  const results = await Promise.allSettled([loadHealth(), loadProjects(), loadAttention(), loadConfig(), loadRegistration()]);
  const failed = results.find((result) => result.status === "rejected");
  if (failed && failed.reason instanceof ApiError) show(describeError(failed.reason), "error");
}

function wire() {
  onSubmit($("#sign-in-form"), (form) => signIn(form).catch((error) => show(error.message, "error")));
  onSubmit($("#new-password-form"), (form) => setNewPassword(form).catch((error) => show(error.message, "error")));
  $("#sign-out").addEventListener("click", () => signOut());
  action($("#refresh-health"), loadHealth);
  onSubmit($("#filters"), async (form) => {
    state.filters = { sync_status: form.get("sync_status"), status: form.get("status") };
    state.pages = [null];
    state.page = 0;
    state.selected.clear();
    await loadProjects();
  });
  onSubmit($("#find"), (form) => openProject(String(form.get("id")).trim()));
  $("#name-filter").addEventListener("input", renderProjects);
  $("#select-all").addEventListener("change", (event) => {
    for (const project of state.rows) if (event.target.checked) state.selected.add(project.id); else state.selected.delete(project.id);
    renderProjects();
  });
  action($("#sync-selected"), async () => {
    await bulkSync([...state.selected]);
    state.selected.clear();
    await Promise.all([loadProjects(), loadHealth()]);
  });
  action($("#retry-failed"), async () => {
    const ids = await failedIds();
    if (!ids.length) { show("No failed sync to retry."); return; }
    await bulkSync(ids);
    await Promise.all([loadProjects(), loadHealth()]);
  });
  action($("#next-page"), async () => { state.page += 1; await loadProjects(); });
  action($("#first-page"), async () => { state.page = 0; await loadProjects(); });
  $("#close-detail").addEventListener("click", () => {
    const opened = state.current && $(`#project-table tbody tr[data-id="${CSS.escape(state.current.id)}"] button.link`);
    $("#detail").hidden = true;
    state.current = null;
    (opened || $("#find input[name=id]")).focus();  // back where the operator was
  });
  action($("#detail-sync"), () => syncOne(state.current.id));
  action($("#detail-force"), () => syncOne(state.current.id, true));
  action($("#detail-live"), async () => {
    const project = await api("GET", `opensolar/projects/${encodeURIComponent(state.current.id)}/status`);
    show(`Read from OpenSolar: ${project.id} is ${project.status}.`);
    await openProject(project.id);
  });
  onSubmit($("#move-form"), async (form) => {
    const body = { status: form.get("status") };
    if (form.get("installation_date")) body.installation_date = form.get("installation_date");
    if (form.get("note")) body.note = form.get("note");
    const moved = await api("PATCH", `installation-requests/${encodeURIComponent(state.current.id)}`, body);
    show(`${moved.id} is now ${moved.status.replace("_", " ")}.`);
    await Promise.all([openProject(moved.id), loadProjects()]);
  });
  action($("#refresh-attention"), loadAttention);
  onSubmit($("#config-form"), saveConfig);
  action($("#register-webhook"), async () => {
    const registration = await api("PUT", "opensolar/webhook-registration");
    showRegistration(registration);
    show(`Webhook ${registration.webhook_id} registered: ${registration.endpoint}`);
  });
  action($("#disable-webhook"), async () => {
    const registration = await api("DELETE", "opensolar/webhook-registration");
    showRegistration(registration);
    show(`Webhook ${registration.webhook_id} disabled.`);
  });
}

// A link with `#token=<id token>` signs in (the local stack prints one); the fragment never reaches a server.
function tokenFromLink() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!token) return false;
  history.replaceState(null, "", location.pathname);
  if (usable(token)) { signedIn(token); return true; }
  signOut("The link's token has expired; sign in.");
  return true;
}

async function start() {
  wire();
  const response = await fetch("config.json");
  state.config = await response.json();
  window.addEventListener("hashchange", tokenFromLink);
  if (tokenFromLink()) return;
  const kept = sessionStorage.getItem("console.id_token");
  if (usable(kept)) signedIn(kept); else signOut(kept ? "Your session has ended; sign in again." : "Sign in to go on.");
}

start();
