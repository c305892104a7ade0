// The integration's health figures: sync success rate, average sync time, webhook errors, failed syncs and counts.

import { $ } from "./page.js";
import { action, api } from "./session.js";

const percent = (value) => (value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)} %`);
const millis = (value) => (value === null || value === undefined ? "–" : `${Math.round(value)} ms`);

export async function loadHealth() {
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

export function wireFigures() {
  action($("#refresh-health"), loadHealth);
}
