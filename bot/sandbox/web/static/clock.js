// The sandbox clock in the top bar: the bot's "now" is real time plus an offset in seconds.

const $ = (id) => document.getElementById(id);
const ALMATY = new Intl.DateTimeFormat([], {
  timeZone: "Asia/Almaty",
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

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
  // post(body) asks the server to move the clock and resolves to the new clock, or null.
  constructor(post) {
    this.post = post;
    this.offset = 0;
  }

  set(clock) {
    this.offset = clock.offset_seconds;
    this.render();
  }

  render() {
    $("clock-now").textContent = ALMATY.format(new Date(Date.now() + this.offset * 1000));
    $("clock-offset").textContent = describeOffset(this.offset);
    $("clock-offset").classList.toggle("shifted", Boolean(this.offset));
  }

  async move(body) {
    const clock = await this.post(body);
    if (clock) this.set(clock);
  }

  start() {
    for (const button of document.querySelectorAll(".clock-btn[data-add]")) {
      button.addEventListener("click", () => this.move({ add_seconds: Number(button.dataset.add) }));
    }
    $("clock-reset").addEventListener("click", () => this.move({ reset: true }));
    this.render();
    setInterval(() => this.render(), 1000);
  }
}
