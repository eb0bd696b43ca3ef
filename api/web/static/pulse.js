// Pulse's pages work without this file; it adds the keyboard and the colour-dependent reason list.
(function () {
  "use strict";
  const reasonsNode = document.getElementById("reasons");
  const reasons = reasonsNode ? JSON.parse(reasonsNode.textContent) : null;
  const cards = Array.from(document.querySelectorAll(".card[data-suggestion]"));
  let current = 0;
  const shownAt = new Map();

  function fillReasons(card, label) {
    const select = card.querySelector("select.sentiment-reason");
    if (!select || !reasons) return;
    select.replaceChildren(new Option("—", ""));
    for (const reason of reasons.sentiment[label] || []) {
      select.add(new Option(reason.replaceAll("_", " "), reason));
    }
  }

  function choose(card, label, point) {
    const radio = card.querySelector(`input[name=label][value=${label}]`);
    if (!radio) return;
    radio.checked = true;
    // On a finer scale, a colour key clears the point; a point key sets it (its colour is the label).
    card.querySelectorAll("input[name=point]").forEach((p) => { p.checked = p === point; });
    fillReasons(card, label);
    const suggested = card.dataset.suggested;
    // An override reason is asked for only when the colour differs from a suggestion that was shown.
    card.classList.toggle("overriding", Boolean(suggested) && suggested !== label);
    card.querySelector("select.sentiment-reason").focus();
  }

  function focusCard(index) {
    if (!cards.length) return;
    current = Math.max(0, Math.min(index, cards.length - 1));
    cards.forEach((c, i) => c.classList.toggle("focused", i === current));
    const card = cards[current];
    if (!shownAt.has(card)) shownAt.set(card, performance.now());
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function submit(card) {
    const form = card.querySelector("form.decide");
    const viewed = form.querySelector("input[name=viewed_ms]");
    viewed.value = String(Math.round(performance.now() - (shownAt.get(card) || performance.now())));
    form.requestSubmit();
  }

  for (const card of cards) {
    // Until a colour is chosen, offer the reasons of the suggested one (an accept may carry a reason).
    if (card.dataset.suggested) fillReasons(card, card.dataset.suggested);
    card.querySelectorAll("input[name=label]").forEach((radio) =>
      radio.addEventListener("change", () => choose(card, radio.value)));
    card.querySelectorAll("input[name=point]").forEach((point) =>
      point.addEventListener("change", () => choose(card, point.dataset.colour, point)));
    const accept = card.querySelector("button.accept");
    if (accept) {
      accept.addEventListener("click", () => {
        const suggested = card.dataset.suggested;
        const points = card.querySelectorAll(`input[name=point][data-colour=${suggested}]`);
        if (points.length) {
          choose(card, suggested);
          askPoint(card, suggested);
          return;
        }
        card.querySelector(`input[name=label][value=${suggested}]`).checked = true;
        submit(card);
      });
    }
    card.addEventListener("focusin", () => {
      const index = cards.indexOf(card);
      if (index !== current) focusCard(index);
    });
  }

  function askPoint(card, colour) {
    // On a finer scale a colour alone is not a rating: ask which of its points (a number key), then save.
    card.classList.add("asking-point");
    const hint = card.querySelector(".point-hint");
    if (hint) hint.hidden = false;
    const first = card.querySelector(`input[name=point][data-colour=${colour}]`);
    if (first) first.focus();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest && event.target.closest("input[type=text], input:not([type]), textarea");
    const inSelect = event.target.closest && event.target.closest("select");
    if (!typing && !inSelect && event.key.toLowerCase() === "u") {
      const undo = document.getElementById("undo");
      if (undo) { undo.click(); event.preventDefault(); }
      return;
    }
    if (!cards.length) return;
    const card = cards[current];
    if (event.key === "Enter") {
      if (event.target.closest && event.target.closest("button, a, textarea")) return;
      const colour = card.querySelector("input[name=label]:checked");
      const hasPoints = card.querySelector("input[name=point]") !== null;
      if (hasPoints && !card.querySelector("input[name=point]:checked")) {
        if (colour) { askPoint(card, colour.value); event.preventDefault(); }
        return;
      }
      if (colour || card.querySelector("input[name=point]:checked")) {
        event.preventDefault();
        submit(card);
      }
      return;
    }
    if (typing) return;
    const key = event.key.toLowerCase();
    if (key === "j" || key === "n") { focusCard(current + 1); event.preventDefault(); }
    else if (key === "k" || key === "p") { focusCard(current - 1); event.preventDefault(); }
    else if (key === "a") {
      const accept = card.querySelector("button.accept");
      if (accept) { accept.click(); event.preventDefault(); }
    }
    else if (key === "r" || key === "y" || key === "g") {
      choose(card, { r: "Red", y: "Yellow", g: "Green" }[key]);
      event.preventDefault();
    }
    else if (/^[1-9]$/.test(key)) {
      const point = card.querySelectorAll("input[name=point]")[Number(key) - 1];
      if (point) { choose(card, point.dataset.colour, point); event.preventDefault(); }
    }
  });

  // Back from a refused save: the card that was being decided keeps its colour, and focus returns to it
  // (to the override reason when that is what was missing).
  for (const card of cards) {
    const checked = card.querySelector("input[name=label]:checked");
    if (!checked) continue;
    fillReasons(card, checked.value);
    const reason = card.querySelector("select.sentiment-reason");
    if (reason && reason.dataset.kept) reason.value = reason.dataset.kept;  // the reason chosen before the refusal
    card.classList.toggle("overriding", Boolean(card.dataset.suggested) && card.dataset.suggested !== checked.value);
  }
  const target = location.hash ? cards.findIndex((c) => "#" + c.id === location.hash) : -1;
  focusCard(target >= 0 ? target : 0);
  const retried = document.querySelector(".card.retried");
  if (retried && retried.classList.contains("overriding")) {
    // After the browser has moved to the #s… anchor (which focuses the card itself).
    window.addEventListener("load", () => setTimeout(() => retried.querySelector("select.override-reason").focus(), 0));
  }
})();
