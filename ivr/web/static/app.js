// ivr report: small progressive enhancements; every page works without this script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // apply the map's colour and flag filters as soon as one is ticked
  document.querySelectorAll("form.filters input[type=checkbox], form.filters select").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  // only one recording plays at a time
  const players = Array.from(document.querySelectorAll("audio"));
  players.forEach((player) => player.addEventListener("play", () => {
    players.forEach((other) => { if (other !== player) other.pause(); });
  }));
});
