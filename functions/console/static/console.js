// The operator console: one page over the HTTP API (every call is in openapi.json), signed in with the staff user's
// Cognito id token. No framework and no build step: one ES module per panel, wired here. page.js holds the shared
// state and helpers, session.js sign-in and the API client; then figures.js, requests.js (the installation requests
// table), project.js (one project), booking.js (its crew booking), schedule.js (the crews' week), attention.js (orders
// needing staff) and settings.js.

import { loadAttention, wireAttention } from "./attention.js";
import { wireBooking } from "./booking.js";
import { loadHealth, wireFigures } from "./figures.js";
import { $, describeError, show, state } from "./page.js";
import { wireProject } from "./project.js";
import { loadProjects, refreshSelection, wireRequests } from "./requests.js";
import { loadBranches, showWeek, wireSchedule } from "./schedule.js";
import {
  afterEachAction, ApiError, onSignedIn, onSubmit, setNewPassword, signedIn, signIn, signOut, tokenFromLink, usable,
} from "./session.js";
import { loadConfig, loadRegistration, wireSettings } from "./settings.js";

async function loadEverything() {
  const results = await Promise.allSettled([
    loadHealth(), loadProjects(), loadBranches(), loadAttention(), loadConfig(), loadRegistration(),
  ]);
  const failed = results.find((result) => result.status === "rejected");
  if (failed && failed.reason instanceof ApiError) show(describeError(failed.reason), "error");
}

function wire() {
  onSignedIn(loadEverything);
  afterEachAction(refreshSelection);
  onSubmit($("#sign-in-form"), (form) => signIn(form).catch((error) => show(error.message, "error")));
  onSubmit($("#new-password-form"), (form) => setNewPassword(form).catch((error) => show(error.message, "error")));
  $("#sign-out").addEventListener("click", () => signOut());
  wireFigures();
  wireRequests();
  wireProject(loadProjects);
  wireBooking((branch, day) => Promise.all([showWeek(branch, day), loadProjects()]));
  wireSchedule();
  wireAttention();
  wireSettings();
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
