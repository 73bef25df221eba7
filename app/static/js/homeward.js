// Starts GOV.UK Frontend components, and again inside each piece of content htmx swaps in.
import { initAll } from "/static/vendor/govuk-frontend-6.3.0/govuk-frontend.min.js";

initAll();

document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt !== document.body) {
    initAll({ scope: event.detail.elt });
  }
});
