// The schedule: a week of one branch's crews by day (rows crews, columns the days, in UTC like the API), with each
// day's bookings, free places and the crew's days of rest; paged by week. One GET for the crews, one per crew.

import { $, cell } from "./page.js";
import { openProject } from "./project.js";
import { action, api, onSubmit } from "./session.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_MS = 86400000;
const view = { branch: null, monday: null };

const isoDay = (time) => new Date(time).toISOString().slice(0, 10);
const weekday = (day) => WEEKDAYS[(new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7];
const heading = (day) => new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" });

function mondayOf(day) {
  const time = Date.parse(`${day}T00:00:00Z`);
  return isoDay(time - ((new Date(time).getUTCDay() + 6) % 7) * DAY_MS);
}

function weekFrom(monday) {
  const start = Date.parse(`${monday}T00:00:00Z`);
  return Array.from({ length: 7 }, (_, index) => isoDay(start + index * DAY_MS));
}

function bookingLine(entry) {
  const line = document.createElement("div");
  line.className = "booked";
  const open = document.createElement("button");
  open.type = "button";
  open.className = "link";
  open.textContent = entry.installation_request_id;
  open.addEventListener("click", () => openProject(entry.installation_request_id));
  line.append(open, ` ${entry.customer_name}`);
  return line;
}

function dayCell(row, crew, day, entries, tomorrow) {
  const td = cell(row, "");
  td.dataset.date = day;
  for (const entry of entries) td.append(bookingLine(entry));
  const note = document.createElement("small");
  if (!crew.working_days.includes(weekday(day))) {
    td.classList.add("rest");
    note.textContent = "not working";
  } else if (day >= tomorrow && crew.active) {
    const free = Math.max(crew.installs_per_day - entries.length, 0);
    note.className = free ? "free" : "full";
    note.textContent = free ? `${free} free` : "full";
  }
  if (note.textContent) td.append(note);
}

function crewRow(crew, days, entries, tomorrow) {
  const row = document.createElement("tr");
  row.dataset.crew = crew.crew_id;
  const name = document.createElement("th");
  name.scope = "row";
  const details = document.createElement("small");
  details.className = "muted";
  details.textContent = `${crew.installs_per_day} a day${crew.active ? "" : " · inactive"}`;
  name.append(crew.name, document.createElement("br"), details);
  row.append(name);
  for (const day of days) dayCell(row, crew, day, entries.filter((entry) => entry.date === day), tomorrow);
  return row;
}

function rememberBranches(crews) {
  const list = $("#branches");
  const known = new Set([...list.options].map((option) => option.value));
  for (const branch of crews.map((crew) => crew.branch_id)) {
    if (known.has(branch)) continue;
    known.add(branch);
    list.append(new Option(branch, branch));
  }
}

export async function loadSchedule() {
  if (!view.branch) return;
  const days = weekFrom(view.monday);
  const crews = (await api("GET", `crews?${new URLSearchParams({ branch_id: view.branch })}`)).items;
  rememberBranches(crews);
  const query = new URLSearchParams({ from: days[0], days: "7" });
  const schedules = await Promise.all(crews.map((crew) => api("GET", `crews/${encodeURIComponent(crew.crew_id)}/schedule?${query}`)));
  const head = document.createElement("tr");
  for (const label of ["Crew", ...days.map(heading)]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    head.append(th);
  }
  $("#schedule-grid thead").replaceChildren(head);
  const tomorrow = isoDay(Date.now() + DAY_MS);
  const body = $("#schedule-grid tbody");
  body.replaceChildren(...crews.map((crew, index) => crewRow(crew, days, schedules[index].items, tomorrow)));
  if (!crews.length) {
    const row = document.createElement("tr");
    cell(row, `No crew in branch ${view.branch}.`).colSpan = 8;
    body.append(row);
  }
  $("#week-info").textContent = `Branch ${view.branch}, week of ${days[0]} to ${days[6]} (UTC)`;
  $("#previous-week").disabled = $("#next-week").disabled = false;
}

// Shows `branch` (when known) on the week of `day` (when given): where a booking just made or freed is.
export async function showWeek(branch, day) {
  if (branch) {
    view.branch = branch;
    $("#branch-form input[name=branch_id]").value = branch;
  }
  if (day) view.monday = mondayOf(day);
  await loadSchedule();
}

// The branches the crews name, offered in the branch picker; the first is shown until staff pick one.
export async function loadBranches() {
  const crews = (await api("GET", "crews")).items;
  rememberBranches(crews);
  if (!view.branch && crews.length) await showWeek(crews[0].branch_id);
}

export function wireSchedule() {
  view.monday = mondayOf(isoDay(Date.now()));
  onSubmit($("#branch-form"), (form) => showWeek(String(form.get("branch_id")).trim()));
  const page = (weeks) => { view.monday = isoDay(Date.parse(`${view.monday}T00:00:00Z`) + weeks * 7 * DAY_MS); return loadSchedule(); };
  action($("#previous-week"), () => page(-1));
  action($("#next-week"), () => page(1));
}
