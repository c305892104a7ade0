// The open project's crew booking: what it is, booking the first free slot or a chosen one (booking again moves it),
// and cancelling it. Every refusal is the API's own words, shown by the busy guard.

import { $, rowsOf, show, state } from "./page.js";
import { onProjectOpened, openProject } from "./project.js";
import { action, api, button } from "./session.js";

const booking = { current: null, branch: null, onChange: () => {} };
const path = (id) => `installation-requests/${encodeURIComponent(id)}`;

function describeBooking(record) {
  const request = record.installation_request;
  if (!request) return "No installation request yet.";
  if (request.booking) return `${request.booking.crew_name || request.booking.crew_id} on ${request.booking.date}.`;
  if (request.installation_date) return `Not booked: date ${request.installation_date} from OpenSolar or typed in, no crew.`;
  return "Not booked.";
}

function showBooking(project, record, order) {
  booking.current = record.installation_request?.booking ?? null;
  booking.branch = order ? order.branch_id : null;
  $("#booking-now").textContent = describeBooking(record);
  $("#cancel-booking").hidden = !booking.current;
  $("#slots-wrap").hidden = true;
  $("#slots tbody").replaceChildren();
}

async function book(wanted) {
  const id = state.current.id;
  const moving = booking.current;
  const booked = await api("PUT", `${path(id)}/booking`, wanted);
  const where = `${booked.crew_name} on ${booked.date}`;
  show(moving ? `${id} moved to ${where}.` : `${id} booked: ${where}.`);
  await openProject(id);
  await booking.onChange(booking.branch, booked.date);
}

async function chooseSlot() {
  const id = state.current.id;
  const slots = await api("GET", `${path(id)}/slots`);
  rowsOf("#slots", slots.items, [
    (slot) => slot.date, (slot) => slot.crew_name, (slot) => String(slot.remaining),
    (slot) => button(booking.current ? "Move here" : "Book", () => book({ crew_id: slot.crew_id, date: slot.date })),
  ]);
  $("#slots-wrap").hidden = false;
  show(slots.items.length ? `${slots.items.length} free slots in the next 14 days.` : "No free slot in the next 14 days.");
}

async function cancelBooking() {
  const id = state.current.id;
  const freed = booking.current;
  await api("DELETE", `${path(id)}/booking`);
  show(`Booking of ${id} cancelled: ${freed ? `${freed.crew_name || freed.crew_id} on ${freed.date} is free again` : "no crew holds it"}.`);
  await openProject(id);
  await booking.onChange(booking.branch, freed ? freed.date : null);
}

// `onChange(branch, date)`: what else shows bookings and must follow one (the schedule, on the booked week).
export function wireBooking(onChange) {
  booking.onChange = onChange;
  onProjectOpened(showBooking);
  action($("#book-first"), () => book({}));
  action($("#choose-slot"), chooseSlot);
  action($("#cancel-booking"), cancelBooking);
}
