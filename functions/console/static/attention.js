// The orders whose automation needs staff (flagged or failed), with the reason and a re-run.

import { $, badge, rowsOf, show, when } from "./page.js";
import { action, api, button } from "./session.js";

export async function loadAttention() {
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

export function wireAttention() {
  action($("#refresh-attention"), loadAttention);
}
