// Drawing one chat: date separators, bubbles, albums, files and inline keyboards.

import { el, formatDay, formatSize, formatTime, plainSnippet, richText, safeUrl } from "./rich.js";

const NAME_COLORS = ["#e17076", "#faa774", "#a695e7", "#7bc862", "#6ec9cb", "#65aadd", "#ee7aae"];

// The sandbox clock's time of a message (what the bot's own texts of that moment say).
export function shownDate(message) {
  return message.sandbox_date ?? message.date;
}

export function nameColor(id) {
  return NAME_COLORS[Math.abs(Number(id)) % NAME_COLORS.length];
}

// Consecutive messages of one album become one bubble, as Telegram shows them.
function groupAlbums(messages) {
  const groups = [];
  for (const message of messages) {
    const last = groups[groups.length - 1];
    if (message.media_group_id && last && last[0].media_group_id === message.media_group_id) {
      last.push(message);
    } else {
      groups.push([message]);
    }
  }
  return groups;
}

function fileUrl(file, download = false) {
  return `/api/file/${encodeURIComponent(file.file_id)}${download ? "?download=1" : ""}`;
}

function fileNode(file) {
  if (file.kind === "photo") {
    // An album's photo keeps its own caption (a chart's title) as its name and tooltip.
    return el("a", { class: "photo", href: fileUrl(file), target: "_blank", rel: "noopener", title: file.caption || null },
      el("img", { src: fileUrl(file), alt: file.caption || "photo", loading: "lazy" }));
  }
  const icon = file.kind === "voice" ? "🎤" : file.kind === "sticker" ? "🏷" : "📄";
  return el("a", {
    class: "document", href: fileUrl(file, true), download: file.name, "data-testid": "document-link",
  },
  el("span", { class: "doc-icon" }, icon),
  el("span", { class: "doc-text" },
    el("span", { class: "doc-name" }, file.name),
    el("span", { class: "doc-size" }, formatSize(file.size))));
}

function bubbleBody(group, ctx) {
  const first = group[0];
  const body = el("div", { class: "bubble-body" });
  if (first.note) {
    body.append(el("div", { class: "note-badge", "data-testid": "note-badge", title: "The bot keeps this in the group: the owner never sees it" }, "🔒 internal note · not sent to the owner"));
  }
  if (!first.from_bot && ctx.showSender(first) || first.from_bot && ctx.showBotName) {
    body.append(el("div", { class: "sender", style: `color:${first.from_bot ? "#3390ec" : nameColor(first.sender_id)}` }, first.sender));
  }
  if (first.forwarded) body.append(el("div", { class: "forwarded" }, "Forwarded message"));
  if (first.reply_to) {
    const target = ctx.byId.get(first.reply_to);
    if (target) {
      body.append(el("div", { class: "reply-quote" },
        el("b", {}, target.sender), el("span", {}, plainSnippet(target, 80))));
    }
  }
  const files = group.flatMap((m) => m.files.map((file) => ({ ...file, caption: m.text })));
  if (files.length) {
    const photos = files.filter((f) => f.kind === "photo");
    const others = files.filter((f) => f.kind !== "photo");
    if (photos.length) body.append(el("div", { class: `photos n${Math.min(photos.length, 4)}` }, ...photos.map(fileNode)));
    for (const file of others) body.append(fileNode(file));
  }
  if (first.contact) {
    body.append(el("div", { class: "contact" },
      el("span", { class: "contact-icon" }, "👤"),
      el("span", {}, el("b", {}, first.contact.name), el("br"), `+${first.contact.phone.replace(/^\+/, "")}`)));
  }
  if (first.location) {
    body.append(el("div", { class: "location" }, `📍 ${first.location.latitude}, ${first.location.longitude}`));
  }
  // An album whose items each have a caption (the figures' charts) shows them all, in order.
  const cls = first.kind === "sticker" ? "text sticker" : "text";
  for (const captioned of group.filter((m) => m.text)) {
    body.append(el("div", { class: cls, dir: "auto" }, richText(captioned.text, captioned.entities)));
  }
  const last = group[group.length - 1];
  const reactions = group.flatMap((m) => m.reaction);
  const when = shownDate(last);
  body.append(el("div", { class: "meta" },
    group.some((m) => m.relayed) ? el("span", { class: "relayed", title: "The bot delivered it to the owner" }, "sent to the owner") : null,
    reactions.length ? el("span", { class: "reaction" }, reactions.join(" ")) : null,
    last.edited ? "edited " : "",
    el("time", { datetime: new Date(when * 1000).toISOString() }, formatTime(when))));
  return body;
}

function keyboardNode(message, ctx) {
  const rows = message.inline_keyboard;
  if (!rows.length) return null;
  return el("div", { class: "inline-keyboard" }, ...rows.map((row) => el("div", { class: "kb-row" },
    ...row.map((button) => {
      if (button.url) {
        const href = safeUrl(button.url);
        return el("a", { class: "inline-btn url", href, target: "_blank", rel: "noopener noreferrer" }, button.text, " ↗");
      }
      if (!button.callback_data) return el("button", { class: "inline-btn", disabled: true, type: "button" }, button.text);
      const pending = ctx.isPending(message, button.callback_data);
      return el("button", {
        type: "button",
        class: pending ? "inline-btn pending" : "inline-btn",
        dataset: { data: button.callback_data },
        onclick: () => ctx.onPress(message, button),
      }, button.text);
    }))));
}

function messageNode(group, ctx) {
  const first = group[0];
  if (first.service) {
    return el("div", { class: "service", dataset: { messageId: first.message_id } }, el("span", {}, first.service));
  }
  const own = ctx.isOwn(first);
  const classes = ["bubble", first.kind === "sticker" ? "bare" : "", first.note ? "note" : ""].filter(Boolean);
  const bubble = el("div", { class: classes.join(" ") }, bubbleBody(group, ctx));
  if (ctx.onReply) {
    bubble.append(el("button", {
      type: "button", class: "reply-btn-small", title: "Reply", onclick: () => ctx.onReply(first),
    }, "↩"));
  }
  const keyboard = keyboardNode(group[group.length - 1], ctx);
  return el("div", {
    class: `msg ${own ? "out" : "in"}${keyboard ? " with-keyboard" : ""}${first.note ? " is-note" : ""}`,
    dataset: { messageId: first.message_id, testid: "message" },
  }, bubble, keyboard);
}

export function isAtBottom(container) {
  return container.scrollHeight - container.scrollTop - container.clientHeight < 80;
}

// Keeps a chat scrolled to the bottom while it is there, also when photos finish loading.
export function followBottom(container) {
  container.dataset.stick = "1";
  container.addEventListener("scroll", () => {
    container.dataset.stick = isAtBottom(container) ? "1" : "";
  });
  container.addEventListener("load", () => {
    if (container.dataset.stick) container.scrollTop = container.scrollHeight;
  }, true);
}

// ctx: { isOwn(m), showSender(m), showBotName, isPending(m, data), onPress(m, button), onReply?(m) }
// stick: scroll to the bottom afterwards (a new message, or the reader was at the bottom anyway).
export function renderMessages(container, messages, ctx, stick) {
  const byId = new Map(messages.map((m) => [m.message_id, m]));
  const fragment = document.createDocumentFragment();
  let lastDay = null;
  for (const group of groupAlbums(messages)) {
    const day = formatDay(shownDate(group[0]));
    if (day !== lastDay) {
      fragment.append(el("div", { class: "day" }, el("span", {}, day)));
      lastDay = day;
    }
    fragment.append(messageNode(group, { ...ctx, byId }));
  }
  if (!messages.length) fragment.append(el("div", { class: "empty" }, ctx.emptyText || "No messages yet"));
  const keep = container.scrollTop;
  container.replaceChildren(fragment);
  container.scrollTop = stick ? container.scrollHeight : keep;
  if (stick) container.dataset.stick = "1";
}

// The reply keyboard the bot last set in this chat, and whether the owner already used it.
export function currentReplyKeyboard(messages) {
  let keyboard = null;
  for (const message of messages) {
    if (message.from_bot && message.reply_keyboard) {
      keyboard = message.reply_keyboard.remove ? null : { ...message.reply_keyboard, message_id: message.message_id, used: false };
    } else if (!message.from_bot && keyboard) {
      keyboard.used = true;
    }
  }
  return keyboard;
}
