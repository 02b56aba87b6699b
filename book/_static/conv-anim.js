// The animations of the arithmetic chapters (convbook/animation.py draws them):
// one frame shown at a time, with play/pause and a frame scrubber. A reader who
// asks the system for reduced motion gets them paused, on the first frame.
(function () {
  "use strict";

  function setUp(figure) {
    const count = Number(figure.dataset.frames);
    const interval = Number(figure.dataset.interval) || 800;
    const groups = [...figure.querySelectorAll("g[data-frame]")];
    const status = figure.querySelector(".conv-anim-status");
    const controls = figure.querySelector(".conv-anim-controls");
    const play = figure.querySelector(".conv-anim-play");
    const scrub = figure.querySelector(".conv-anim-scrub");
    const counter = figure.querySelector(".conv-anim-count");
    let current = 0;
    let timer = null;

    function show(frame) {
      current = ((frame % count) + count) % count;
      for (const g of groups) {
        g.style.display = Number(g.dataset.frame) === current ? "" : "none";
        if (g.dataset.status !== undefined && Number(g.dataset.frame) === current) {
          status.textContent = g.dataset.status;
        }
      }
      scrub.value = String(current);
      scrub.setAttribute("aria-valuetext", `frame ${current + 1} of ${count}`);
      counter.textContent = `${current + 1} / ${count}`;
      figure.dataset.current = String(current);
    }

    function setPlaying(on) {
      if (timer !== null) {
        clearInterval(timer);
        timer = null;
      }
      if (on) {
        timer = setInterval(() => show(current + 1), interval);
      }
      // The button says what it will do; its name changes, so it is not also a
      // toggle (aria-pressed), which would read as "Pause, pressed".
      play.textContent = on ? "Pause" : "Play";
      figure.dataset.playing = on ? "true" : "false";
      // While it plays, a screen reader is not told every frame; paused, it is.
      status.setAttribute("aria-live", on ? "off" : "polite");
    }

    play.addEventListener("click", () => setPlaying(timer === null));
    scrub.addEventListener("input", () => {
      setPlaying(false);
      show(Number(scrub.value));
    });
    controls.hidden = false;
    show(0);
    const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    setPlaying(!still);
  }

  function start() {
    document.querySelectorAll("figure.conv-anim").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
