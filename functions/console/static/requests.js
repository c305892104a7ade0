// The installation requests table: filters, pages, selection, and the syncs started from it (one, selected, failed).

import { $, badge, cell, show, state, when } from "./page.js";
import { loadHealth } from "./figures.js";
import { openProject, syncOne } from "./project.js";
import { action, api, button, onSubmit } from "./session.js";

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

export function refreshSelection() {
  $("#selected-count").textContent = String(state.selected.size);
  const syncSelected = $("#sync-selected");
  if (!syncSelected.dataset.busy) syncSelected.disabled = state.selected.size === 0;
  $("#select-all").checked = state.rows.length > 0 && state.rows.every((project) => state.selected.has(project.id));
}

export async function loadProjects() {
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

export function wireRequests() {
  onSubmit($("#filters"), async (form) => {
    state.filters = { sync_status: form.get("sync_status"), status: form.get("status") };
    state.pages = [null];
    state.page = 0;
    state.selected.clear();
    await loadProjects();
  });
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
}
