// The in-page explorers (no kernel needed): the output size of one layer, and the
// receptive field of a stack. Every number comes from conv-formulas.js.
(function () {
  "use strict";
  const F = window.ConvFormulas;
  const SVG = "http://www.w3.org/2000/svg";
  const MAX_DRAWN = 40; // padded inputs longer than this are not drawn
  const MAX_LAYERS = 8;
  let made = 0;

  function element(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    e.append(...children);
    return e;
  }

  function svgElement(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  }

  function numberField(label, value, least, attrs = {}) {
    const input = element("input", { type: "number", min: String(least), step: "1",
                                     inputmode: "numeric", value: String(value),
                                     ...attrs });
    return { input, label: element("label", { class: "conv-explorer-field" },
                                   element("span", {}, label), input) };
  }

  // ---- output size ---------------------------------------------------------

  function drawWindows(figure, r) {
    figure.replaceChildren();
    if (!r.ok) return;
    const rows = r.size;
    if (r.padded > MAX_DRAWN || rows > MAX_DRAWN) {
      figure.append(element("p", {}, `The padded input (${r.padded} values) is too ` +
                            `long to draw here; the drawing shows up to ${MAX_DRAWN}.`));
      return;
    }
    const cell = 20, label = 56;
    const width = r.padded * cell + label + 4, height = (rows + 1) * cell + 8;
    const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`,
                                    width: String(width), role: "img",
                                    class: "conv-explorer-svg",
                                    "aria-label": `${rows} windows over a padded ` +
                                                  `input of ${r.padded} values` });
    svg.append(svgElement("rect", { width: String(width), height: String(height),
                                    fill: "#fff" }));
    for (let i = 0; i < r.padded; i++) {
      const pad = i < r.pads[0] || i >= r.padded - r.pads[1];
      svg.append(svgElement("rect", {
        x: String(i * cell + 2), y: "2", width: String(cell), height: String(cell),
        fill: pad ? "#fff" : "#9ecae1", stroke: pad ? "#999" : "#222",
        "stroke-dasharray": pad ? "3 2" : "none" }));
    }
    for (let o = 0; o < rows; o++) {
      const y = (o + 1) * cell + 6;
      for (let t = 0; t < r.kernel; t++) {
        const x = (o * r.stride + t * r.dilation) * cell + 2;
        svg.append(svgElement("rect", { x: String(x), y: String(y),
          width: String(cell), height: String(cell - 4), fill: "#08519c",
          "fill-opacity": "0.55", stroke: "#08519c" }));
      }
      const text = svgElement("text", { x: String(r.padded * cell + 8),
        y: String(y + cell / 2), "dominant-baseline": "central", "font-size": "13",
        fill: "#222" });
      text.textContent = `y[${o}]`;
      svg.append(text);
    }
    figure.append(svg);
  }

  function describeSize(r, mode) {
    const pads = mode === "same"
      ? `Padding 'same' puts ${r.pads[0]} zero${r.pads[0] === 1 ? "" : "s"} on the ` +
        `left and ${r.pads[1]} on the right. `
      : "";
    return `Output size: ${r.size}. ${pads}A window spans ${r.span} input` +
      `${r.span === 1 ? "" : "s"}, and ⌊(${r.padded} − ${r.span}) / ${r.stride}⌋ + 1 ` +
      `= ${r.size}.`;
  }

  function outputSizeExplorer(root) {
    const id = `conv-explorer-${++made}`;
    const d = root.dataset;
    const W = numberField("Input size W", d.input ?? 7, 1, { "data-field": "input" });
    const K = numberField("Kernel size K", d.kernel ?? 3, 1, { "data-field": "kernel" });
    const S = numberField("Stride S", d.stride ?? 1, 1, { "data-field": "stride" });
    const P = numberField("Padding P (per side)", d.padding ?? 0, 0,
                          { "data-field": "padding" });
    const Dl = numberField("Dilation D", d.dilation ?? 1, 1, { "data-field": "dilation" });
    const mode = element("select", { "data-field": "mode" },
      element("option", { value: "number" }, "P on each side"),
      element("option", { value: "valid" }, "'valid'"),
      element("option", { value: "same" }, "'same'"));
    const modeLabel = element("label", { class: "conv-explorer-field" },
                              element("span", {}, "Padding"), mode);
    const result = element("output", { class: "conv-explorer-result", id: `${id}-out`,
                                       "aria-live": "polite" });
    const figure = element("div", { class: "conv-explorer-drawing" });
    const form = element("form", { class: "conv-explorer-form", "aria-label":
                                   "Output size of a convolution" },
      element("div", { class: "conv-explorer-fields" }, W.label, K.label, S.label,
              modeLabel, P.label, Dl.label),
      result, figure);
    form.addEventListener("submit", (e) => e.preventDefault());

    function update() {
      P.input.disabled = mode.value !== "number";
      const r = F.outputSize({ input: W.input.value, kernel: K.input.value,
        stride: S.input.value, dilation: Dl.input.value,
        padding: mode.value === "number" ? P.input.value : mode.value });
      result.classList.toggle("conv-explorer-error", !r.ok);
      result.dataset.size = r.ok ? String(r.size) : "";
      result.dataset.pads = r.ok ? r.pads.join(",") : "";
      result.dataset.error = r.ok ? "" : r.key;
      result.textContent = r.ok ? describeSize(r, mode.value) : r.message;
      drawWindows(figure, r);
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    root.replaceChildren(form);
    update();
  }

  // ---- receptive field -----------------------------------------------------

  function parseLayers(text) {
    return (text || "3,1,1").split(";").map((l) => {
      const [kernel, stride, dilation] = l.split(",");
      return { kernel, stride, dilation };
    });
  }

  function receptiveFieldExplorer(root) {
    const id = `conv-explorer-${++made}`;
    const tbody = element("tbody");
    const add = element("button", { type: "button", class: "conv-explorer-add" },
                        "Add a layer");
    const result = element("output", { class: "conv-explorer-result",
                                       "aria-live": "polite" });
    const heads = [["layer", ""], ["kernel", "K"], ["stride", "S"], ["dilation", "D"],
                   ["field", "r"], ["jump", "j"], ["", ""]];
    const table = element("table", { class: "conv-explorer-layers",
                                     "aria-describedby": `${id}-about` },
      element("thead", {}, element("tr", {}, ...heads.map(([word, symbol]) =>
        element("th", { scope: "col" }, word, element("br"), symbol)))),
      tbody);
    const about = element("p", { id: `${id}-about` }, "A stack of layers, input " +
      "side first. Edit a layer's kernel size, stride or dilation; r is the " +
      "receptive field of one of its neurons and j the jump, in inputs.");
    const inputRow = element("tr", { "data-layer": "0" },
      element("th", { scope: "row" }, "input"), element("td"), element("td"),
      element("td"), element("td", { class: "rf" }, "1"),
      element("td", { class: "jump" }, "1"), element("td"));
    tbody.append(inputRow);

    function renumber() {
      [...tbody.rows].slice(1).forEach((tr, i) => {
        const n = i + 1;
        tr.dataset.layer = String(n);
        tr.querySelector("th").textContent = String(n);
        for (const input of tr.querySelectorAll("input")) {
          input.setAttribute("aria-label", `Layer ${n} ${input.dataset.what}`);
        }
        tr.querySelector("button").setAttribute("aria-label", `Remove layer ${n}`);
      });
      const count = tbody.rows.length - 1;
      add.disabled = count >= MAX_LAYERS;
      for (const b of tbody.querySelectorAll("button")) b.disabled = count <= 1;
    }

    function addRow(layer) {
      const cells = ["kernel", "stride", "dilation"].map((name) => {
        const what = { kernel: "kernel size", stride: "stride",
                       dilation: "dilation" }[name];
        return element("td", {}, element("input", { type: "number", min: "1",
          step: "1", inputmode: "numeric", value: String(layer[name]),
          "data-field": name, "data-what": what }));
      });
      const remove = element("button", { type: "button",
                                         class: "conv-explorer-remove" }, "✕");
      const tr = element("tr", {}, element("th", { scope: "row" }), ...cells,
        element("output", { class: "rf" }), element("output", { class: "jump" }),
        element("td", {}, remove));
      // An <output> is not a table cell: wrap each in one.
      for (const o of tr.querySelectorAll("output")) {
        const td = element("td", { class: o.className });
        o.replaceWith(td);
        td.append(o);
      }
      remove.addEventListener("click", () => {
        const next = tr.nextElementSibling ?? tr.previousElementSibling;
        tr.remove();
        renumber();
        update();
        (next.querySelector("button:not([disabled])") ?? add).focus();
      });
      tbody.append(tr);
    }

    function update() {
      const rows = [...tbody.rows].slice(1);
      const layers = rows.map((tr) => Object.fromEntries(
        [...tr.querySelectorAll("input")].map((i) => [i.dataset.field, i.value])));
      const r = F.receptiveFields(layers);
      rows.forEach((tr, i) => {
        const field = r.fields[i + 1];
        tr.querySelector("td.rf output").textContent = field ? String(field.rf) : "—";
        tr.querySelector("td.jump output").textContent =
          field ? String(field.jump) : "—";
        tr.classList.toggle("conv-explorer-bad", !r.ok && i + 1 === r.layer);
      });
      result.classList.toggle("conv-explorer-error", !r.ok);
      result.dataset.error = r.ok ? "" : r.key;
      result.dataset.layer = r.ok ? "" : String(r.layer);
      const last = r.fields[r.fields.length - 1];
      result.textContent = r.ok
        ? `After ${layers.length} layer${layers.length === 1 ? "" : "s"} one neuron ` +
          `sees ${last.rf} input${last.rf === 1 ? "" : "s"}, and neighbouring ` +
          `neurons are ${last.jump} input${last.jump === 1 ? "" : "s"} apart.`
        : r.message;
    }

    add.addEventListener("click", () => {
      addRow({ kernel: 3, stride: 1, dilation: 1 });
      renumber();
      update();
      tbody.rows[tbody.rows.length - 1].querySelector("input").focus();
    });
    for (const layer of parseLayers(root.dataset.layers)) addRow(layer);
    renumber();
    const form = element("form", { class: "conv-explorer-form", "aria-label":
                                   "Receptive field of a stack of layers" },
      about, element("div", { class: "conv-explorer-scroll" }, table), add, result);
    form.addEventListener("submit", (e) => e.preventDefault());
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    root.replaceChildren(form);
    update();
  }

  const EXPLORERS = { "output-size": outputSizeExplorer,
                      "receptive-field": receptiveFieldExplorer };

  function start() {
    document.querySelectorAll("div.conv-explorer").forEach((root) => {
      EXPLORERS[root.dataset.explorer](root);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
