// The arithmetic of a sliding window, for the in-page explorers: the same formulas
// as book/convbook/arithmetic.py (input W, kernel K, stride S, padding P per side,
// dilation D). The browser tests check every answer against PyTorch. A setting that
// PyTorch refuses gives {ok: false, key, message}; the keys name the reasons.
window.ConvFormulas = (function () {
  "use strict";

  const REASONS = {
    "not-whole": (name) => `${name} must be a whole number.`,
    "too-small": (name, least) => `${name} must be at least ${least}.`,
    "same-strided": () =>
      "PyTorch accepts padding 'same' only with stride 1: with a larger stride " +
      "no padding makes the output as long as the input.",
    "kernel-too-large": (span, padded) =>
      `The kernel spans ${span} inputs but the padded input has only ${padded}: ` +
      "the kernel does not fit once, and PyTorch refuses the layer.",
  };

  function refuse(key, ...args) {
    return { ok: false, key, message: REASONS[key](...args) };
  }

  // A value typed in a control: a whole number at least `least`, or a refusal.
  function whole(name, value, least) {
    const text = String(value).trim();
    const number = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(number)) return refuse("not-whole", name);
    if (number < least) return refuse("too-small", name, least);
    return { ok: true, value: number };
  }

  function kernelSpan(K, D) {
    return D * (K - 1) + 1;
  }

  function samePadding(K, D) {
    const total = D * (K - 1);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }

  // Output length along one axis. `padding` is a number, "valid" or "same".
  function outputSize(setting) {
    const W = whole("The input size", setting.input, 1);
    const K = whole("The kernel size", setting.kernel, 1);
    const S = whole("The stride", setting.stride, 1);
    const D = whole("The dilation", setting.dilation, 1);
    for (const v of [W, K, S, D]) if (!v.ok) return v;
    let pads;
    if (setting.padding === "same") {
      if (S.value !== 1) return refuse("same-strided");
      pads = samePadding(K.value, D.value);
    } else if (setting.padding === "valid") {
      pads = [0, 0];
    } else {
      const P = whole("The padding", setting.padding, 0);
      if (!P.ok) return P;
      pads = [P.value, P.value];
    }
    const padded = W.value + pads[0] + pads[1];
    const span = kernelSpan(K.value, D.value);
    if (span > padded) return refuse("kernel-too-large", span, padded);
    const size = Math.floor((padded - span) / S.value) + 1;
    return { ok: true, size, pads, padded, span, stride: S.value,
             kernel: K.value, dilation: D.value, input: W.value };
  }

  // One step of the receptive-field recurrence.
  function grow(field, layer) {
    return { rf: field.rf + (layer.kernel - 1) * layer.dilation * field.jump,
             jump: field.jump * layer.stride };
  }

  // Receptive field and jump after each layer of a stack of {kernel, stride,
  // dilation}, input side first; fields[0] is the input's (1, 1). A layer with a
  // refused value ends the stack: {ok: false, layer, key, message, fields}.
  function receptiveFields(layers) {
    const fields = [{ rf: 1, jump: 1 }];
    for (let i = 0; i < layers.length; i++) {
      const checked = {};
      for (const [name, what] of [["kernel", "kernel size"], ["stride", "stride"],
                                  ["dilation", "dilation"]]) {
        const v = whole(`Layer ${i + 1}: the ${what}`, layers[i][name], 1);
        if (!v.ok) return { ...v, layer: i + 1, fields };
        checked[name] = v.value;
      }
      fields.push(grow(fields[fields.length - 1], checked));
    }
    return { ok: true, fields };
  }

  return { REASONS, whole, kernelSpan, samePadding, outputSize, grow, receptiveFields };
})();
