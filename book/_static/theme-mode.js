// On a reader's first visit no colour mode is stored yet, and the theme's
// own start-up logs "Got invalid theme mode" as an error before falling back
// to "auto". Start from "auto" (follow the system) explicitly.
if (!document.documentElement.dataset.mode) {
  document.documentElement.dataset.mode = "auto";
}
