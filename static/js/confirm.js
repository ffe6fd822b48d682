// Forms that ask before they act: <form data-confirm="Question?">. Submitting shows the question; "Cancel" stops
// the submission. Kept out of the markup (no onsubmit="…") so the Content-Security-Policy needs no inline script.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (!window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
