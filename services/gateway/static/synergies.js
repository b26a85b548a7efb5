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
