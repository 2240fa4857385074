// Databourse pages: light, optional behaviour (every page works without it).
// Loaded from this server only; the Content-Security-Policy allows no inline script.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A form with data-confirm asks before it submits (rulings, cancellations).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
