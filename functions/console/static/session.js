// Sign-in and the API client: the staff user's Cognito id token, every API call made with it, and the one guard that
// keeps a button from sending its request twice.

import { $, base, describeError, show, state } from "./page.js";

const listeners = { signedIn: () => {}, afterAction: () => {} };

// What the entry module does once someone is signed in, and after every guarded action (the selection's buttons).
export function onSignedIn(callback) { listeners.signedIn = callback; }
export function afterEachAction(callback) { listeners.afterAction = callback; }

// ---------------------------------------------------------------- the API

export class ApiError extends Error {
  constructor(status, statusText, body) {
    super(`HTTP ${status}`);
    Object.assign(this, { status, statusText, body });
  }
}

export async function api(method, path, body) {
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
  finally { delete button.dataset.busy; button.disabled = false; listeners.afterAction(); }
}

export function action(button, run) {
  button.addEventListener("click", (event) => { event.preventDefault(); guarded(button, run); });
}

export function onSubmit(form, run) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(form.querySelector("button[type=submit]"), () => run(new FormData(form)));
  });
}

export function button(label, run, secondary = true) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  if (secondary) element.className = "secondary";
  action(element, run);
  return element;
}

// ---------------------------------------------------------------- sign-in

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch { return null; }
}

export function usable(token) {
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

export async function signIn(form) {
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

export async function setNewPassword(form) {
  const answer = await cognito("RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED", ClientId: state.config.client_id, Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: form.get("new_password") },
  });
  signedIn(answer.AuthenticationResult.IdToken);
}

export function signedIn(token) {
  state.token = token;
  sessionStorage.setItem("console.id_token", token);
  const payload = claims(token) || {};
  $("#who-name").textContent = payload.email || payload["cognito:username"] || "signed in";
  $("#sign-in").hidden = true;
  for (const id of ["#app", "#nav", "#who"]) $(id).hidden = false;
  show("Signed in.");
  listeners.signedIn();
}

export function signOut(message = "Signed out.") {
  state.token = null;
  sessionStorage.removeItem("console.id_token");
  for (const id of ["#app", "#nav", "#who"]) $(id).hidden = true;
  $("#sign-in").hidden = false;
  $("#sign-in-form").hidden = false;
  $("#new-password-form").hidden = true;
  show(message, message === "Signed out." || message === "Sign in to go on." ? "ok" : "error");
}

// A link with `#token=<id token>` signs in (the local stack prints one); the fragment never reaches a server.
export function tokenFromLink() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!token) return false;
  history.replaceState(null, "", location.pathname);
  if (usable(token)) { signedIn(token); return true; }
  signOut("The link's token has expired; sign in.");
  return true;
}
