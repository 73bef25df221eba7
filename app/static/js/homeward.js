// Starts GOV.UK Frontend components, and again inside each piece of content htmx swaps in.
import { initAll } from "/static/vendor/govuk-frontend-6.3.0/govuk-frontend.min.js";

initAll();

// The page's own ready signal, for automated checks (browser tests, monitoring): <html> gets
// data-hw-ready once GOV.UK Frontend and htmx have both started, and data-hw-busy while htmx
// has a request in flight. Waiting for these instead of for a fixed time keeps tests steady
// on a busy machine.
const root = document.documentElement;
const inFlight = new Set();

function requestStarted(event) {
  inFlight.add(event.detail.xhr);
  root.dataset.hwBusy = "";
}

function requestEnded(event) {
  inFlight.delete(event.detail.xhr);
  if (inFlight.size === 0) {
    delete root.dataset.hwBusy;
  }
}

document.addEventListener("htmx:beforeRequest", requestStarted);
for (const name of ["htmx:afterRequest", "htmx:sendAbort", "htmx:sendError", "htmx:timeout"]) {
  document.addEventListener(name, requestEnded);
}

document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt === document.body) {
    root.dataset.hwReady = "";
  } else {
    initAll({ scope: event.detail.elt });
  }
});

// Idle-timeout warning: shown two minutes before the server ends an idle session.
const WARNING_SECONDS = 120;
const dialog = document.getElementById("timeout-warning");
let warningTimer;
let expiryTimer;
let countdownTimer;

function describeSeconds(seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

function showWarning(deadline) {
  if (!dialog.open) {
    dialog.showModal();
  }
  const countdown = dialog.querySelector(".hw-timeout-dialog__countdown");
  clearInterval(countdownTimer);
  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    // Update the words only every 15 seconds, so screen readers are not flooded.
    if (left % 15 === 0 || left < 10) {
      countdown.textContent = describeSeconds(left);
    }
  };
  countdown.textContent = describeSeconds(Math.round((deadline - Date.now()) / 1000));
  countdownTimer = setInterval(tick, 1000);
}

function schedule(secondsLeft) {
  clearTimeout(warningTimer);
  clearTimeout(expiryTimer);
  clearInterval(countdownTimer);
  const deadline = Date.now() + secondsLeft * 1000;
  warningTimer = setTimeout(
    () => showWarning(deadline),
    Math.max(0, secondsLeft - WARNING_SECONDS) * 1000,
  );
  expiryTimer = setTimeout(() => {
    window.location.assign("/sign-in?expired=1");
  }, secondsLeft * 1000);
}

if (dialog && document.body.dataset.sessionSecondsLeft) {
  const fullSeconds = Number(document.body.dataset.sessionSecondsLeft);
  schedule(fullSeconds);

  const extendForm = dialog.querySelector(".hw-timeout-dialog__extend");
  extendForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(extendForm.action, {
      method: "POST",
      headers: { "X-CSRF-Token": extendForm.elements.csrf_token.value, Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) {
      window.location.assign("/sign-in?expired=1");
      return;
    }
    const body = await response.json();
    dialog.close();
    schedule(body.seconds_left);
  });

  // Any request htmx makes keeps the session alive on the server, so restart the clock.
  document.addEventListener("htmx:afterRequest", () => schedule(fullSeconds));
}

// After htmx swaps in a form or a result, move focus to it so that keyboard and screen
// reader users continue from there (GOV.UK error summaries and banners focus themselves).
document.addEventListener("htmx:afterSettle", (event) => {
  // After an outerHTML swap the event's element is the one replaced: look in the document.
  const scope = event.detail.elt.isConnected ? event.detail.elt : document;
  // "Save and add another": the banner says the entry was saved (as an alert), and the
  // cursor goes on to the next entry's form.
  const next = scope.querySelector("[data-hw-focus-next]");
  if (next && !scope.querySelector(".govuk-error-summary")) {
    next.focus();
    return;
  }
  if (scope.querySelector(".govuk-error-summary, .govuk-notification-banner--success")) {
    return;
  }
  const target = scope.querySelector("[data-hw-focus]");
  if (target) {
    target.focus();
  }
});

// Escape inside an in-place form cancels it, as its Cancel link does, but asks first when
// something has been typed (a key pressed by mistake must not lose an entry). After a cancel,
// focus goes back to what opened the form (its data-hw-return-focus), not to the page body.
const DISCARD_QUESTION = "Discard what you have typed in this entry?";
let focusAfterSwap = null;

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") {
    return;
  }
  const form = event.target.closest && event.target.closest("form[data-hw-cancel]");
  const cancel = form && document.getElementById(form.dataset.hwCancel);
  if (!cancel) {
    return;
  }
  event.preventDefault();
  if (holdsUnsavedInput(form) && !window.confirm(DISCARD_QUESTION)) {
    return;
  }
  cancel.click();
});

document.addEventListener("click", (event) => {
  const cancel = event.target.closest && event.target.closest("form[data-hw-cancel] a[id]");
  const form = cancel && cancel.closest("form");
  if (form && form.dataset.hwCancel === cancel.id && form.dataset.hwReturnFocus) {
    focusAfterSwap = form.dataset.hwReturnFocus;
  }
});

document.addEventListener("htmx:afterSettle", () => {
  const target = focusAfterSwap && document.getElementById(focusAfterSwap);
  focusAfterSwap = null;
  if (target) {
    target.focus();
  }
});

// A form holds unsaved input once something is typed or chosen in it (or when the server sent
// it back with errors), until it is submitted or its autosave succeeds. Following a link away
// from the page then asks first. Forms that fetch (filters, search) lose nothing and are left
// out; so are links htmx handles in place (they are stopped below when they would redraw an
// open form) and the form's own Cancel, which is the user choosing to discard.
const LEAVE_QUESTION = "You have not saved what you typed. Leave this page without saving it?";

function holdsUnsavedInput(form) {
  return form.hasAttribute("data-hw-unsaved") || form.hasAttribute("data-hw-dirty");
}

// Sign-in and password forms are left out too: they hold nothing of anyone's record.
function markDirty(event) {
  const form = event.target.closest && event.target.closest('form[method="post"]');
  if (
    form &&
    !event.target.matches('[type="hidden"], [type="search"]') &&
    !form.querySelector('input[type="password"]')
  ) {
    form.dataset.hwDirty = "";
  }
}
document.addEventListener("input", markDirty);
document.addEventListener("change", markDirty);
document.addEventListener("submit", (event) => {
  delete event.target.dataset.hwDirty;
});
document.addEventListener("htmx:afterRequest", (event) => {
  const { elt, successful } = event.detail;
  if (successful && elt.matches && elt.matches("form")) {
    delete elt.dataset.hwDirty;
  }
});

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[href]");
  if (
    !link ||
    event.defaultPrevented ||
    event.ctrlKey ||
    event.metaKey ||
    event.shiftKey ||
    link.target === "_blank" ||
    link.hasAttribute("download") ||
    link.hasAttribute("hx-get") ||
    link.closest("[data-hw-list-control]") ||
    link.getAttribute("href").startsWith("#")
  ) {
    return;
  }
  const forms = [...document.querySelectorAll('form[method="post"]')].filter(holdsUnsavedInput);
  if (forms.length === 0 || forms.some((form) => form.contains(link))) {
    return;
  }
  if (!window.confirm(LEAVE_QUESTION)) {
    event.preventDefault();
  }
});

// While an in-place form holds unsaved input (typed, or sent back with errors), anything that
// would redraw the part of the page around it, or leave the list for another page of it, is
// stopped and the user told why: the form and what was typed stay as they are.
const OPEN_FORM_WARNING = "Save or cancel the entry you are editing before changing the list.";

function unsavedForm() {
  return document.querySelector("form[data-hw-cancel][data-hw-unsaved]");
}

function warnAbout(form) {
  let warning = form.querySelector(".hw-open-form-warning");
  if (!warning) {
    warning = document.createElement("div");
    warning.className = "govuk-inset-text hw-open-form-warning";
    warning.setAttribute("role", "alert");
    form.prepend(warning);
  }
  // Written afresh each time so that screen readers announce it again.
  warning.textContent = "";
  warning.textContent = OPEN_FORM_WARNING;
  warning.scrollIntoView({ block: "nearest" });
}

function markUnsaved(event) {
  const form = event.target.closest && event.target.closest("form[data-hw-cancel]");
  if (form) {
    form.dataset.hwUnsaved = "";
  }
}
document.addEventListener("input", markUnsaved);
document.addEventListener("change", markUnsaved);

document.addEventListener("htmx:confirm", (event) => {
  const form = unsavedForm();
  const { elt, target } = event.detail;
  // The form's own Save and Cancel go ahead: Cancel is the user choosing to discard.
  if (form && target && target.contains(form) && !form.contains(elt)) {
    event.preventDefault();
    warnAbout(form);
  }
});

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("[data-hw-list-control] a[href]");
  const form = link && unsavedForm();
  if (form) {
    event.preventDefault();
    warnAbout(form);
  }
});

// A section page counts its saves (autosaves and buttons alike), so that the server can refuse
// an earlier save that arrives after a later one instead of storing it over it.
// The highest count sent from each form of this page: a response to an earlier autosave that
// arrives after a later one swaps in the count it was rendered with, which must not lower it.
const savesSent = new Map();
function countSave(form) {
  const counter = form && form.querySelector("[data-hw-save-count]");
  if (!counter) {
    return null;
  }
  const key = form.getAttribute("action") || form.id;
  const next = Math.max(savesSent.get(key) || 0, Number(counter.value || "0")) + 1;
  savesSent.set(key, next);
  counter.value = String(next);
  return counter.value;
}
// Once a form is submitted by its own buttons, an autosave still waiting in htmx's queue is
// dropped: the submission carries the whole form, and the autosave would only count higher
// and have the button's save refused as the earlier one.
let submitted = new WeakSet();
document.addEventListener("htmx:configRequest", (event) => {
  const form = event.detail.elt.closest && event.detail.elt.closest("form");
  if (form && submitted.has(form)) {
    event.preventDefault();
    return;
  }
  const count = countSave(form);
  if (count !== null) {
    event.detail.parameters.seq = count;
  }
});
document.addEventListener("submit", (event) => {
  if (countSave(event.target) !== null) {
    submitted.add(event.target);
  }
});
// A page brought back with the browser's Back button may be submitted again.
window.addEventListener("pageshow", () => {
  submitted = new WeakSet();
});

// A problem in a framework content file: its link also puts the cursor on that line of the
// text area, so the trainer can fix it straight away (without JavaScript the link still goes
// to the line shown under the text).
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-hw-line]");
  const area = link && document.getElementById("text");
  if (!area) {
    return;
  }
  event.preventDefault();
  const line = Number(link.dataset.hwLine);
  const lines = area.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((total, text) => total + text.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1] || "").length);
  area.scrollTop = Math.max(0, ((line - 3) * area.scrollHeight) / Math.max(lines.length, 1));
});

// A factor rated present opens its "Link evidence" list, so that its evidence is picked in the
// same place (the list loads as if the person had opened it).
document.addEventListener("change", (event) => {
  const radio = event.target;
  if (!radio.matches('.hw-factor input[type="radio"][value="present"]') || !radio.checked) {
    return;
  }
  const picker = radio.closest(".hw-factor").querySelector("details[hx-get]");
  if (picker && !picker.open) {
    picker.open = true;
  }
});
