// The sandbox clock in the top bar: the bot's "now" is real time plus an offset in seconds.

import { formatMoment } from "./rich.js";

const $ = (id) => document.getElementById(id);
const NARROW = window.matchMedia("(max-width: 899px)");

export function describeOffset(seconds) {
  if (!seconds) return "real time";
  const sign = seconds < 0 ? "−" : "+";
  let rest = Math.abs(seconds);
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const hours = Math.floor(rest / 3600);
  const minutes = Math.floor((rest - hours * 3600) / 60);
  const parts = [days && `${days} d`, hours && `${hours} h`, minutes && `${minutes} min`].filter(Boolean);
  return `${sign}${parts.join(" ") || `${Math.abs(seconds)} s`}`;
}

export class SandboxClock {
  // post(body) asks the server to move the clock and resolves to the new clock, or null;
  // moved(clock, body) is told after each move the page made.
  constructor(post, moved = () => {}) {
    this.post = post;
    this.moved = moved;
    this.offset = 0;
  }

  // The sandbox's "now", unix seconds.
  now() {
    return Date.now() / 1000 + this.offset;
  }

  set(clock) {
    this.offset = clock.offset_seconds;
    this.render();
  }

  render() {
    $("clock-now").textContent = formatMoment(this.now(), { short: NARROW.matches });
    $("clock-offset").textContent = describeOffset(this.offset);
    $("clock-offset").classList.toggle("shifted", Boolean(this.offset));
  }

  async move(body) {
    const clock = await this.post(body);
    if (clock) {
      this.set(clock);
      this.moved(clock, body);
    }
  }

  start() {
    for (const button of document.querySelectorAll(".clock-btn[data-add]")) {
      button.addEventListener("click", () => this.move({ add_seconds: Number(button.dataset.add) }));
    }
    $("clock-next-month").addEventListener("click", () => this.move({ to: "next_month" }));
    $("clock-reset").addEventListener("click", () => this.move({ reset: true }));
    // On a phone the buttons fold into a menu under the time.
    const toggle = $("clock-toggle");
    toggle.addEventListener("click", () => {
      const open = !toggle.closest(".clock").classList.contains("open");
      toggle.closest(".clock").classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", String(open));
    });
    this.render();
    setInterval(() => this.render(), 1000);
  }
}
