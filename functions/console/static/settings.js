// The integration's settings (switches, OpenSolar's address and limits, the stage and status maps) and our webhook's
// registration in OpenSolar.

import { $, facts, show } from "./page.js";
import { action, api, onSubmit } from "./session.js";

const SWITCHES = ["is_active", "auto_sync_enabled", "webhooks_enabled"];
const NUMBERS = ["org_id", "api_timeout_s", "max_retries"];

export async function loadConfig() {
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

export async function loadRegistration() {
  try { showRegistration(await api("GET", "opensolar/webhook-registration")); } catch (error) {
    if (error.status === 404) showRegistration(null); else throw error;
  }
}

export function wireSettings() {
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
