// Telegram-formatted text as DOM nodes: text + entities (UTF-16 offsets, as JS strings count).
// Every piece of text goes in as a text node; only the tags Telegram allows are ever created,
// so nothing a bot or a user writes can become markup or script.

const SIMPLE = {
  bold: "b",
  italic: "i",
  underline: "u",
  strikethrough: "s",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  expandable_blockquote: "blockquote",
};
const SAFE_PROTOCOLS = new Set(["http:", "https:", "tg:", "mailto:"]);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function entityNode(entity, inner) {
  const tag = SIMPLE[entity.type];
  if (tag) {
    const node = document.createElement(tag);
    if (entity.type === "pre" && entity.language) node.dataset.language = entity.language;
    return node;
  }
  switch (entity.type) {
    case "text_link":
    case "url": {
      const href = safeUrl(entity.type === "url" && !/^[a-z]+:/i.test(inner) ? `https://${inner}` : entity.url ?? inner);
      if (!href) return el("span", { class: "link-blocked", title: "link not allowed" });
      return el("a", { href, target: "_blank", rel: "noopener noreferrer" });
    }
    case "email":
      return el("a", { href: `mailto:${inner}` });
    case "spoiler":
      return el("span", { class: "spoiler", title: "Show", onclick: (e) => e.currentTarget.classList.add("revealed") });
    case "bot_command":
      return el("span", { class: "command", dataset: { command: inner } });
    default:
      return el("span", { class: `entity-${entity.type}` });
  }
}

function build(parent, text, entities, start, end) {
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const from = Math.max(entity.offset, pos);
    const to = Math.min(entity.offset + entity.length, end);
    if (from >= end) break;
    let j = i + 1;
    while (j < entities.length && entities[j].offset < to) j++;
    if (to > from) {
      if (from > pos) parent.append(text.slice(pos, from));
      const node = entityNode(entity, text.slice(from, to));
      build(node, text, entities.slice(i + 1, j), from, to);
      parent.append(node);
      pos = to;
    }
    i = j;
  }
  if (pos < end) parent.append(text.slice(pos, end));
}

export function richText(text, entities = []) {
  const fragment = document.createDocumentFragment();
  if (!text) return fragment;
  const sorted = [...entities]
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length))
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(fragment, text, sorted, 0, text.length);
  return fragment;
}

// Times are shown in the bot's zone (an offset from the server, so the browser's own zone and
// its zone data play no part): the wall clock the bot's texts use.
let zoneOffset = 5 * 3600;
const TIME = new Intl.DateTimeFormat([], { timeZone: "UTC", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const DAY = new Intl.DateTimeFormat([], { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" });
const FULL = new Intl.DateTimeFormat([], {
  timeZone: "UTC", weekday: "short", day: "numeric", month: "short", year: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

export function setZoneOffset(seconds) {
  zoneOffset = Number(seconds) || 0;
}

function zoned(unix) {
  return new Date((unix + zoneOffset) * 1000);
}

export function formatTime(unix) {
  return TIME.format(zoned(unix));
}

export function formatDay(unix) {
  return DAY.format(zoned(unix));
}

const SHORT = new Intl.DateTimeFormat([], {
  timeZone: "UTC", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

export function formatMoment(unix, { short = false } = {}) {
  return (short ? SHORT : FULL).format(zoned(unix));
}

// "2026-12-08" in the bot's zone.
export function isoDay(unix) {
  return zoned(unix).toISOString().slice(0, 10);
}

export function formatSize(bytes) {
  if (!bytes && bytes !== 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function plainSnippet(message, limit = 60) {
  const text = message.service || message.text || (message.contact && `📱 ${message.contact.phone}`)
    || (message.files[0] && (message.files[0].kind === "photo" ? "🖼 Photo" : `📄 ${message.files[0].name}`))
    || `<${message.kind}>`;
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
}
