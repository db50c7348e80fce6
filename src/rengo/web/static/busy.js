// htmx requests: the region an htmx request will replace carries aria-busy="true" until
// the answer is in (screen readers wait for it); the element named by hx-indicator shows
// while the request runs (CSS: .htmx-request).
"use strict";
document.addEventListener("htmx:beforeRequest", (event) => {
  const target = event.detail.target;
  if (target) target.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.target;
  if (target) target.removeAttribute("aria-busy");
});
document.addEventListener("htmx:afterRequest", (event) => {
  const target = event.detail.target;
  if (target && !event.detail.successful) target.removeAttribute("aria-busy");
});
