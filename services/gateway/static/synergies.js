// Progressive enhancement only: every page works without this file.
"use strict";

// Destructive forms ask for confirmation (data-confirm="…"), since inline handlers are
// forbidden by the Content-Security-Policy.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The header's unread badge follows the inbox live (GET /api/v1/inbox/stream, Server-Sent
// Events, with the session cookie). Without this script, the badge is right at each page load.
(() => {
  const badge = document.getElementById("unread-badge");
  if (!badge || !window.EventSource) {
    return;
  }
  const stream = new EventSource("/api/v1/inbox/stream");
  stream.addEventListener("unread", (event) => {
    const count = JSON.parse(event.data).unread_count;
    if (typeof count !== "number") {
      return;
    }
    // The badge's first text node is the number; the hidden label after it stays.
    const number = badge.firstChild;
    if (number && number.nodeType === Node.TEXT_NODE) {
      number.nodeValue = String(count);
    } else {
      badge.insertBefore(document.createTextNode(String(count)), badge.firstChild);
    }
    badge.setAttribute("data-unread", String(count));
    badge.classList.toggle("empty", count === 0);
  });
  // Leaving the page closes the stream at once rather than when the browser notices.
  window.addEventListener("pagehide", () => stream.close());
})();

// The administration page's branding preview follows the form as it is filled in: the colours
// (custom properties set through the CSSOM, which the Content-Security-Policy allows), the name,
// and the logo chosen, read here in the browser (a data: address; nothing is sent before the
// upload button).
(() => {
  const preview = document.getElementById("brand-preview");
  if (!preview) {
    return;
  }
  for (const [id, property] of [["primary_colour", "--brand"], ["secondary_colour", "--brand-2"]]) {
    const field = document.getElementById(id);
    if (field) {
      field.addEventListener("input", () => preview.style.setProperty(property, field.value));
    }
  }
  const name = document.getElementById("brand_name");
  const shownName = document.getElementById("brand-name-preview");
  if (name && shownName) {
    name.addEventListener("input", () => {
      shownName.textContent = name.value.trim() || shownName.getAttribute("data-default");
    });
  }
  const file = document.getElementById("logo");
  const image = document.getElementById("logo-preview");
  if (file && image && window.FileReader) {
    file.addEventListener("change", () => {
      const chosen = file.files && file.files[0];
      if (!chosen) {
        return;
      }
      const reader = new FileReader();
      reader.addEventListener("load", () => {
        image.src = reader.result;
        image.hidden = false;
      });
      reader.readAsDataURL(chosen);
    });
  }
})();
