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
