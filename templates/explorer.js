// symbp's explorer: pick entries to light up their naive paths; step through the backward pass.
// No framework and no network: everything the page shows is in the JSON of #symbp-data.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("symbp-data").textContent);
  const svg = document.querySelector(".svg-scroll svg");
  const picked = [];  // entry names, in the order picked
  let step = 0;

  const byId = (id) => document.getElementById(id);
  const point = data.point;  // numbers at one point, or null
  const number = (x) => Number(x.toPrecision(4)).toString();
  const graphElement = (id) => byId(id);

  // A weight is the arrow a^(m-1)_j -> z^(m)_i it multiplies; z, a nodes are their own entries.
  function entryOf(element) {
    const id = element.getAttribute("id");
    const weight = /^a(\d+)_(\d+)->z(\d+)_(\d+)$/.exec(id);
    if (weight) return "W" + weight[3] + "_" + weight[4] + "_" + weight[2];
    return data.entries[id] ? id : null;
  }

  function centre(element) {
    const box = element.getBBox();
    return [box.x + box.width / 2, box.y + box.height / 2, box];
  }

  function addText(parent, x, y, text, cls) {
    const node = document.createElementNS(svg.namespaceURI, "text");
    node.setAttribute("x", x);
    node.setAttribute("y", y);
    node.setAttribute("text-anchor", "middle");
    node.setAttribute("class", cls);
    node.textContent = text;
    parent.appendChild(node);
    return node;
  }

  function clearClasses(names) {
    for (const name of names) {
      for (const element of svg.querySelectorAll("." + name)) element.classList.remove(name);
    }
  }

  function highlight() {
    clearClasses(["on-path", "picked", "shared"]);
    for (const label of svg.querySelectorAll("text.path-count")) label.remove();
    const uses = {};
    const nodes = new Set();
    for (const name of picked) {
      const entry = data.entries[name];
      for (const [edge, count] of Object.entries(entry.edges)) {
        uses[edge] = (uses[edge] || 0) + count;
        for (const end of edge.split("->")) nodes.add(end);
      }
      const own = entry.kind === "W" ? "a" + (entry.layer - 1) + "_" + name.split("_")[2] + "->" + "z" + name.slice(1).split("_").slice(0, 2).join("_")
        : entry.kind === "b" ? "z" + name.slice(1) : name;
      const element = graphElement(own);
      if (element) element.classList.add("picked");
      if (entry.kind !== "W") nodes.add(own);
    }
    for (const [edge, count] of Object.entries(uses)) {
      const element = graphElement(edge);
      if (!element) continue;
      element.classList.add("on-path");
      element.setAttribute("data-paths", count);
      if (count > 1) {
        const [x, y] = centre(element.querySelector("path"));
        addText(element, x, y - 3, "×" + count, "path-count");
      }
    }
    for (const node of nodes) {
      const element = graphElement(node);
      if (element) element.classList.add("on-path");
    }
    for (const button of document.querySelectorAll("button.entry")) {
      button.setAttribute("aria-pressed", picked.includes(button.dataset.entry) ? "true" : "false");
    }
  }

  // The worked example's numbers for a weight or bias: its gradient and, with a learning rate, its update.
  function atPoint(name) {
    if (!point) return "";
    const kind = data.entries[name].kind;
    const gradient = kind === "z" ? point.deltas[name] : point.gradients[name];
    if (gradient === undefined) return "";
    let text = "At the point: ∂C/∂" + name + " = " + number(gradient);
    const update = point.updates[name];
    if (update) {
      text += "; one step with η = " + number(point.lr) + ": " + name + " ← " + number(update[0]) +
        " − " + number(point.lr) + " · " + number(gradient) + " = " + number(update[1]);
    }
    return '<p class="at-point">' + text + "</p>";
  }

  // Forward values beside their nodes, as in the lecture's worked example.
  function showValues() {
    if (!point) return;
    for (const [node, value] of Object.entries(point.nodes)) {
      const element = graphElement(node);
      if (!element) continue;
      const [x, , box] = centre(element);
      addText(element, x, box.y - 3, number(value), "value-label");
    }
  }

  // How often the naive expansions of the picked entries compute each delta's work (backprop: once).
  function sharedWork() {
    const times = {};
    for (const name of picked) {
      for (const [node, count] of Object.entries(data.entries[name].nodes)) {
        if (data.paths_to_cost[node]) times[node] = (times[node] || 0) + count / data.paths_to_cost[node];
      }
    }
    return Object.entries(times).filter(([, n]) => n > 1);
  }

  function showPanel() {
    const selection = byId("symbp-selection");
    if (!picked.length) {
      selection.innerHTML = '<p class="hint">Pick an entry to see its paths and derivations.</p>';
      byId("symbp-shared").innerHTML = "";
      return;
    }
    selection.innerHTML = picked.map((name) => {
      const e = data.entries[name];
      const paths = e.paths === 1 ? "1 path" : e.paths + " paths";
      return '<article class="entry-card" data-entry="' + name + '">' +
        "<h2>∂C/∂" + e.label + " <small>(" + name + ")</small></h2>" +
        '<p class="counts">' + paths + " of " + e.factors + " factors from it to C</p>" +
        (e.written_out ? "<h3>Naive: the chain rule along every path, then evaluated</h3>"
          : "<h3>Naive: " + paths + " are too many to write out; here is their sum, grouped (the graph shows every path)</h3>") +
        '<div class="math-scroll">' + e.naive + "</div>" +
        "<h3>Backprop: from the stored δ</h3>" +
        '<div class="math-scroll">' + e.backprop + "</div>" + atPoint(name) + "</article>";
    }).join("");
    const shared = sharedWork();
    const sharedIds = new Set(shared.map(([node]) => node));
    for (const mark of selection.querySelectorAll(".symbp-mark")) {
      if (sharedIds.has(mark.getAttribute("data-delta").replace("delta", "z"))) mark.classList.add("shared");
    }
    for (const node of sharedIds) {
      const element = graphElement(node);
      if (element) element.classList.add("shared");
    }
    byId("symbp-shared").innerHTML = shared.length && picked.length > 1
      ? "<h2>Work the picked entries share</h2>" + shared.map(([node, n]) =>
        '<div class="math-scroll shared-delta" data-node="' + node + '">' + data.deltas[node] +
        " <span>naive: " + Math.round(n) + " times; backprop: once</span></div>").join("")
      : "";
  }

  function pick(name, add) {
    if (!name) return;
    const at = picked.indexOf(name);
    if (add || byId("symbp-compare").checked) {
      if (at >= 0) picked.splice(at, 1); else picked.push(name);
    } else {
      picked.splice(0, picked.length, name);
    }
    highlight();
    showPanel();
  }

  function showStep() {
    clearClasses(["has-delta", "delta-current"]);
    for (const label of svg.querySelectorAll("text.delta-label")) label.remove();
    const total = data.steps.length;
    for (let k = 0; k < step; k++) {
      for (const [node, name] of Object.entries(data.steps[k].deltas)) {
        const element = graphElement(node);
        if (!element) continue;
        element.classList.add("has-delta");
        if (k === step - 1) element.classList.add("delta-current");
        element.setAttribute("data-delta-step", k + 1);
        const [x, , box] = centre(element);
        const value = point ? " = " + number(point.deltas[node]) : "";
        addText(element, x, box.y + box.height + 12, name + value, "delta-label");
      }
    }
    const status = byId("symbp-step-status");
    status.textContent = step === 0 ? "Step 0 of " + total + ": not started"
      : "Step " + step + " of " + total + ": " + data.steps[step - 1].title.replace(/^Step \d+: /, "");
    byId("symbp-step").innerHTML = step === 0 ? "" : data.steps[step - 1].mathml;
    byId("symbp-prev").disabled = step === 0;
    byId("symbp-next").disabled = step === total;
  }

  function move(by) {
    step = Math.max(0, Math.min(data.steps.length, step + by));
    showStep();
  }

  for (const element of svg.querySelectorAll("g.node, g.edge")) {
    const name = entryOf(element);
    if (!name) continue;
    element.setAttribute("tabindex", "0");
    element.setAttribute("role", "button");
    element.setAttribute("aria-label", name + ": show its naive paths");
    element.addEventListener("click", (event) => pick(name, event.shiftKey));
    element.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        pick(name, event.shiftKey);
      }
    });
  }
  for (const button of document.querySelectorAll("button.entry")) {
    button.addEventListener("click", (event) => pick(button.dataset.entry, event.shiftKey));
  }
  byId("symbp-prev").addEventListener("click", () => move(-1));
  byId("symbp-next").addEventListener("click", () => move(1));
  byId("symbp-stepper").addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "ArrowDown") { event.preventDefault(); move(1); }
    if (event.key === "ArrowLeft" || event.key === "ArrowUp") { event.preventDefault(); move(-1); }
  });
  showValues();
  showStep();
})();
