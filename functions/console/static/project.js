// One project: its installation request, SSR, order, OpenSolar project and stage, dates, sync logs, the webhook
// deliveries that name it, and the audit, newest first; with its syncs, a live read and a move.

import { $, badge, facts, newestFirst, rowsOf, show, state, when } from "./page.js";
import { action, api, onSubmit } from "./session.js";

const openListeners = [];

// What else shows a part of the open project (its crew booking): called with the project, its record and its order.
export function onProjectOpened(callback) { openListeners.push(callback); }

export async function syncOne(id, force = false) {
  const answer = await api("POST", `opensolar/projects/${encodeURIComponent(id)}/sync${force ? "?force=true" : ""}`);
  show(answer.queued ? `Sync of ${id} queued.` : `Sync of ${id} not queued.`);
}

export async function openProject(id) {
  const project = await api("GET", `opensolar/projects/${encodeURIComponent(id)}`);
  state.current = project;
  const [record, order, logs, deliveries] = await Promise.all([
    api("GET", `service-requests/${encodeURIComponent(project.ssr_id)}`),
    api("GET", `orders/${encodeURIComponent(project.order_id)}`).catch(() => null),
    api("GET", `opensolar/projects/${encodeURIComponent(id)}/sync-logs`),
    api("GET", "opensolar/webhook-logs?limit=100"),
  ]);
  const stage = project.opensolar_stage;
  // The request's own status and date, not the OpenSolar link's copy of them, which a crew booking does not change.
  const request = record.installation_request || project;
  facts($("#detail-facts"), [
    ["Installation request", project.id],
    ["Status", badge(request.status, "status")],
    ["Sync", badge(project.sync_status, "sync")],
    ["Last error", project.last_error],
    ["Customer", project.customer_name],
    ["Installation type", project.installation_type],
    ["Installation date", request.installation_date],
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
  for (const callback of openListeners) callback(project, record, order);
  $("#detail-title").textContent = `Project ${project.id}`;
  $("#detail").hidden = false;
  $("#detail-title").focus();
}

// `onMoved`: what else shows the project and must follow a move (the requests table).
export function wireProject(onMoved) {
  onSubmit($("#find"), (form) => openProject(String(form.get("id")).trim()));
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
    await Promise.all([openProject(moved.id), onMoved()]);
  });
}
