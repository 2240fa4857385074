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

// An asset's upload (supplier pages): the file goes as the raw request body (never multipart)
// by PUT to the form's data-upload URL, with the page's CSRF token in X-CSRF-Token, and a
// progress bar fed by XMLHttpRequest's upload progress. On success the page reloads to show the
// new revision; a refusal shows the server's message.
function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  } catch (error) {
    return "";
  }
}

function uploadFile(form) {
  const input = form.querySelector('input[type="file"]');
  const bar = form.querySelector("progress");
  const status = form.querySelector(".upload-status");
  const button = form.querySelector('button[type="submit"]');
  const file = input && input.files && input.files[0];
  if (!file) {
    input.focus();
    return;
  }
  const format = form.querySelector('[name="format"]');
  const url = form.dataset.upload + "?format=" + encodeURIComponent(format ? format.value : "opaque");
  const xhr = new XMLHttpRequest();
  xhr.open("PUT", url);
  xhr.setRequestHeader("X-CSRF-Token", csrfToken());
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  xhr.responseType = "text";
  bar.hidden = false;
  bar.value = 0;
  button.disabled = true;
  form.classList.remove("failed");
  status.textContent = status.dataset.sending;
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) bar.value = Math.round((100 * event.loaded) / event.total);
  });
  const fail = (message) => {
    button.disabled = false;
    form.classList.add("failed");
    status.textContent = status.dataset.failed + (message ? " " + message : "");
  };
  xhr.addEventListener("load", () => {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (error) {
      body = null;
    }
    if (xhr.status === 201 && body) {
      bar.value = 100;
      status.textContent = status.dataset.done;
      form.classList.add("uploaded");
      window.location.assign(body.location || form.dataset.done);
    } else {
      fail(body && body.message ? body.message : "");
    }
  });
  xhr.addEventListener("error", () => fail(""));
  xhr.send(file);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-upload]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      uploadFile(form);
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
