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

// A range input with data-output (the ruling's split) shows its value in its <output>, as basis
// points and the two shares; the form works without this (the range is a real form field).
document.addEventListener("DOMContentLoaded", () => {
  for (const range of document.querySelectorAll("input[type=range][data-output]")) {
    const output = document.getElementById(range.dataset.output);
    if (!output) continue;
    const show = () => {
      const bp = Number(range.value);
      const pct = (n) => (n / 100).toFixed(n % 100 === 0 ? 0 : 2) + " %";
      output.value = `${bp} bp · ${output.dataset.supplier} ${pct(bp)} · ${output.dataset.buyer} ${pct(10000 - bp)}`;
      range.setAttribute("aria-valuetext", output.value);
    };
    range.addEventListener("input", show);
    show();
  }
});
