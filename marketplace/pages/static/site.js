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

// A file upload (an asset's content, a dispute's evidence file): the file goes as the raw request
// body (never multipart) by PUT to the form's data-upload URL, with the page's CSRF token in
// X-CSRF-Token, and a progress bar fed by XMLHttpRequest's upload progress. The query holds the
// form's fields named in data-upload-params (default: format) and, with data-upload-media-type,
// the file's media type. A file over data-max-bytes is refused before sending. On success the
// page goes to the answer's location; a refusal shows the server's message next to the file
// field (.upload-error) or in the status line. Without script the form posts as it is.
function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  } catch (error) {
    return "";
  }
}

function uploadQuery(form, file) {
  const query = new URLSearchParams();
  for (const name of (form.dataset.uploadParams || "format").split(/\s+/)) {
    const field = form.querySelector(`[name="${name}"]`);
    if (field) query.set(name, field.value);
    else if (name === "format") query.set(name, "opaque");
  }
  if ("uploadMediaType" in form.dataset) {
    query.set("media_type", file.type || "application/octet-stream");
  }
  return query.toString();
}

// A location differing from this page's only by its fragment would merely scroll: reload instead.
function goTo(location) {
  const target = new URL(location, window.location.href);
  const here = window.location;
  if (target.pathname === here.pathname && target.search === here.search) {
    if (target.hash) here.hash = target.hash;
    here.reload();
  } else {
    here.assign(target.href);
  }
}

function uploadFile(form) {
  const input = form.querySelector('input[type="file"]');
  const bar = form.querySelector("progress");
  const status = form.querySelector(".upload-status");
  const error = form.querySelector(".upload-error");
  const button = form.querySelector('button[type="submit"]');
  const file = input && input.files && input.files[0];
  if (!file) {
    input.focus();
    return;
  }
  const fail = (message) => {
    button.disabled = false;
    form.classList.add("failed");
    if (error && message) {
      error.textContent = message;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      status.textContent = status.dataset.failed;
    } else {
      status.textContent = status.dataset.failed + (message ? " " + message : "");
    }
  };
  if (error) {
    error.hidden = true;
    error.textContent = "";
    input.removeAttribute("aria-invalid");
  }
  form.classList.remove("failed");
  bar.hidden = true;
  if (form.dataset.maxBytes && file.size > Number(form.dataset.maxBytes)) {
    fail(form.dataset.tooLarge || "");
    return;
  }
  const xhr = new XMLHttpRequest();
  xhr.open("PUT", form.dataset.upload + "?" + uploadQuery(form, file));
  xhr.setRequestHeader("X-CSRF-Token", csrfToken());
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  xhr.responseType = "text";
  bar.hidden = false;
  bar.value = 0;
  button.disabled = true;
  status.textContent = status.dataset.sending;
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) bar.value = Math.round((100 * event.loaded) / event.total);
  });
  xhr.addEventListener("load", () => {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (parseError) {
      body = null;
    }
    if (xhr.status === 201 && body) {
      bar.value = 100;
      status.textContent = status.dataset.done;
      form.classList.add("uploaded");
      goTo(body.location || form.dataset.done);
    } else {
      fail(body && body.message ? body.message : "");
    }
  });
  xhr.addEventListener("error", () => fail(""));
  xhr.send(file);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-upload]")) {
    for (const shown of form.querySelectorAll(".js-only")) shown.hidden = false;
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
