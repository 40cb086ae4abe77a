// The sandbox page: owner personas on the left, the operator forum on the right, live updates.
// On a narrow screen (a phone) the two panes are tabs, and the topic list is a screen of its own.

import { currentReplyKeyboard, followBottom, isAtBottom, nameColor, renderMessages, shownDate } from "./chat.js";
import { SandboxClock, describeOffset } from "./clock.js";
import { el, formatTime, isoDay, plainSnippet, setZoneOffset } from "./rich.js";

const TYPING_MS = 5000;
const clock = new SandboxClock((body) => act("owner", "/api/clock", { body }), clockMoved);
const PENDING_MS = 15000;
const PHONE = window.matchMedia("(max-width: 899px)");
const GUIDE_SEEN = "adal-sandbox-guide-seen";
const PLACE = "adal-sandbox-place";

const state = {
  info: null,
  chats: new Map(), // chat_id -> Map(message_id -> message)
  topics: [],
  persona: null,
  staff: null,
  topic: null, // null = General
  unread: new Map(), // "chat:<id>" or "topic:<id>" -> count
  pending: new Map(), // callback_query_id -> {key, pane}
  pendingKeys: new Set(),
  typing: new Map(), // chat_id -> until (ms)
  keyboardOverride: new Map(), // persona id -> {message_id, shown}: the ⌨ toggle
  replyTo: null,
  tab: "owner", // the pane shown on a phone
  tabUnread: { owner: 0, operator: 0 }, // new messages in the pane not shown (phone)
  listing: false, // phone: the operator pane shows its topic list instead of a chat
  wiping: false,
};

const $ = (id) => document.getElementById(id);

// ---- server ----------------------------------------------------------------------------------

async function call(path, { body, form } = {}) {
  const init = body !== undefined
    ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }
    : form ? { method: "POST", body: form } : {};
  const response = await fetch(path, init);
  const payload = await response.json().catch(() => ({ ok: false, error: response.statusText }));
  if (!payload.ok) throw new Error(payload.error || `HTTP ${response.status}`);
  return payload.result;
}

async function act(pane, path, options) {
  try {
    return await call(path, options);
  } catch (error) {
    toast(pane, `⚠ ${error.message}`, true);
    return null;
  }
}

// ---- state -----------------------------------------------------------------------------------

function messagesOf(chatId) {
  return [...(state.chats.get(chatId)?.values() ?? [])]
    .filter((m) => !m.deleted)
    .sort((a, b) => a.message_id - b.message_id);
}

function groupId() {
  return state.info.group.chat_id;
}

function inTopic(message, topic) {
  return topic === null ? message.thread_id === null : message.thread_id === topic;
}

function bump(key) {
  state.unread.set(key, (state.unread.get(key) ?? 0) + 1);
}

async function loadAll() {
  const info = await call("/api/state");
  state.info = info;
  setZoneOffset(info.guide.utc_offset_seconds);
  clock.set(info.clock);
  restorePlace();
  if (!info.personas.some((p) => p.user_id === state.persona)) state.persona = info.personas[0].user_id;
  if (!info.staff.some((s) => s.user_id === state.staff)) state.staff = info.staff[0].user_id;
  const chatIds = [...state.info.personas.map((p) => p.user_id), groupId()];
  const lists = await Promise.all(chatIds.map((id) => call(`/api/messages?chat_id=${id}`)));
  chatIds.forEach((id, index) => state.chats.set(id, new Map(lists[index].map((m) => [m.message_id, m]))));
  state.topics = await call("/api/topics");
  if (state.topic !== null && !state.topics.some((t) => t.thread_id === state.topic)) state.topic = null;
  $("bot-name").textContent = state.info.bot.name;
  $("group-title").textContent = state.info.group.title;
  renderStaff();
  renderGuide();
  setWiping(info.wiping);
  renderTabs();
  renderAll("bottom");
}

// A reload keeps the persona, the topic, who posts and the tab (this browser tab only).
function savePlace() {
  const place = { persona: state.persona, staff: state.staff, topic: state.topic, tab: state.tab };
  try {
    sessionStorage.setItem(PLACE, JSON.stringify(place));
  } catch {
    // storage may be off; the place is then not kept
  }
}

function restorePlace() {
  if (state.info && state.persona !== null) return; // only on the first load of this page
  let place = {};
  try {
    place = JSON.parse(sessionStorage.getItem(PLACE) || "{}") || {};
  } catch {
    place = {};
  }
  state.persona ??= place.persona ?? null;
  state.staff ??= place.staff ?? null;
  if (place.topic !== undefined && state.topic === null) state.topic = place.topic;
  if (place.tab === "owner" || place.tab === "operator") state.tab = place.tab;
}

// ---- live updates ----------------------------------------------------------------------------

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("hello", () => {
    setConnection(true);
    loadAll().catch((error) => toast("owner", `⚠ ${error.message}`, true));
  });
  source.onmessage = (event) => onEvent(JSON.parse(event.data));
  source.onerror = () => setConnection(false);
}

function setConnection(live) {
  const node = $("conn");
  node.textContent = live ? "live" : "disconnected";
  node.classList.toggle("live", live);
  node.title = live ? "Live updates" : "The sandbox is not answering: is it still running?";
  document.body.classList.toggle("offline", !live);
}

function onEvent(event) {
  if (!state.info) return;
  if (event.type === "message") onMessage(event.action, event.message);
  else if (event.type === "topics" && event.chat_id === groupId()) {
    state.topics = event.topics;
    if (state.topic !== null && !state.topics.some((t) => t.thread_id === state.topic)) state.topic = null;
    renderOperator();
  } else if (event.type === "callback_answer") onCallbackAnswer(event);
  else if (event.type === "chat_action") {
    state.typing.set(event.chat_id, Date.now() + TYPING_MS);
    renderStatus();
    setTimeout(renderStatus, TYPING_MS + 50);
  } else if (event.type === "clock") clock.set(event.clock);
  else if (event.type === "wiping") setWiping(true);
  else if (event.type === "wiped") wiped(event.clock);
  else if (event.type === "wipe_failed") {
    setWiping(false);
    toast("owner", `⚠ Wiping failed: ${event.error}`, true);
  }
}

function onMessage(action, message) {
  const chat = state.chats.get(message.chat_id);
  if (!chat) return;
  chat.set(message.message_id, message);
  if (message.from_bot) state.typing.delete(message.chat_id);
  const isNew = action === "new";
  const pane = message.chat_id === groupId() ? "operator" : "owner";
  if (isNew && !message.service && PHONE.matches && pane !== state.tab) {
    state.tabUnread[pane] += 1;
    renderTabs();
  }
  if (message.chat_id === groupId()) {
    const shown = inTopic(message, state.topic);
    if (isNew && !message.service && !shown) bump(`topic:${message.thread_id}`);
    renderOperator(isNew && shown ? "bottom" : "auto");
  } else {
    const shown = message.chat_id === state.persona;
    if (isNew && !shown) bump(`chat:${message.chat_id}`);
    renderOwner(isNew && shown ? "bottom" : "auto");
  }
}

function pendingKey(chatId, messageId, data) {
  return `${chatId}:${messageId}:${data}`;
}

async function press(pane, userId, message, button) {
  const key = pendingKey(message.chat_id, message.message_id, button.callback_data);
  state.pendingKeys.add(key);
  rerender(pane);
  const result = await act(pane, "/api/press", {
    body: { user_id: userId, chat_id: message.chat_id, message_id: message.message_id, callback_data: button.callback_data },
  });
  if (!result) {
    state.pendingKeys.delete(key);
    rerender(pane);
    return;
  }
  state.pending.set(result.callback_query_id, { key, pane });
  setTimeout(() => finishPending(result.callback_query_id), PENDING_MS);
}

function finishPending(queryId) {
  const pending = state.pending.get(queryId);
  if (!pending) return null;
  state.pending.delete(queryId);
  state.pendingKeys.delete(pending.key);
  rerender(pending.pane);
  return pending;
}

function onCallbackAnswer(event) {
  const pending = finishPending(event.callback_query_id);
  if (pending && event.text) toast(pending.pane, event.text, event.show_alert);
}

// ---- rendering -------------------------------------------------------------------------------

function rerender(pane, scroll = "auto") {
  if (pane === "owner") renderOwner(scroll);
  else renderOperator(scroll);
}

function renderAll(scroll) {
  renderOwner(scroll);
  renderOperator(scroll);
}

function renderPersonas() {
  $("personas").replaceChildren(...state.info.personas.map((p) => {
    const unread = state.unread.get(`chat:${p.user_id}`) ?? 0;
    return el("button", {
      type: "button",
      class: p.user_id === state.persona ? "persona active" : "persona",
      dataset: { userId: p.user_id, testid: "persona" },
      title: `${p.name} · +${p.phone}`,
      onclick: () => selectPersona(p.user_id),
    },
    el("span", { class: "avatar small", style: `background:${nameColor(p.user_id)}` }, p.first_name[0]),
    el("span", { class: "persona-name" }, p.first_name),
    el("span", { class: "lang" }, p.language),
    unread ? el("span", { class: "badge" }, String(unread)) : null);
  }));
}

function selectPersona(userId) {
  state.persona = userId;
  state.unread.delete(`chat:${userId}`);
  savePlace();
  renderOwner("bottom");
  $("owner-composer").querySelector("textarea").focus();
}

// "bottom": show the newest message; "auto": stay at the bottom only if the reader was there.
function sticks(container, scroll) {
  return scroll === "bottom" || (scroll === "auto" && (container.dataset.stick === "1" || isAtBottom(container)));
}

function renderOwner(scroll = "auto") {
  renderPersonas();
  const container = $("owner-messages");
  const stick = sticks(container, scroll);
  const messages = messagesOf(state.persona);
  // The keyboard first: it takes room from the messages, which then scroll to the right place.
  renderReplyKeyboard(messages);
  renderMessages(container, messages, {
    isOwn: (m) => !m.from_bot,
    showSender: () => false,
    showBotName: false,
    emptyText: "Start the conversation: type /start (new here? “Start here” at the top explains what to try)",
    isPending: (m, data) => state.pendingKeys.has(pendingKey(m.chat_id, m.message_id, data)),
    onPress: (m, button) => press("owner", state.persona, m, button),
  }, stick);
  renderStatus();
}

function keyboardVisible(keyboard) {
  if (!keyboard) return false;
  const override = state.keyboardOverride.get(state.persona);
  if (override && override.message_id === keyboard.message_id) return override.shown;
  return !(keyboard.one_time && keyboard.used);
}

function renderReplyKeyboard(messages) {
  const keyboard = currentReplyKeyboard(messages);
  const box = $("owner-keyboard");
  const toggle = document.querySelector("#owner-composer .kbd-toggle");
  document.querySelector("#owner-composer textarea").placeholder = keyboard?.placeholder || "Message";
  const visible = keyboardVisible(keyboard);
  toggle.hidden = !keyboard;
  toggle.classList.toggle("active", visible);
  box.hidden = !visible;
  if (!visible) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(...keyboard.rows.map((row) => el("div", { class: "kb-row" }, ...row.map((button) => el("button", {
    type: "button",
    class: button.request ? "reply-btn request" : "reply-btn",
    dataset: { request: button.request ?? "" },
    onclick: () => pressReplyButton(button),
  }, button.text)))));
}

function toggleKeyboard() {
  const keyboard = currentReplyKeyboard(messagesOf(state.persona));
  if (!keyboard) return;
  state.keyboardOverride.set(state.persona, { message_id: keyboard.message_id, shown: !keyboardVisible(keyboard) });
  renderOwner();
}

async function pressReplyButton(button) {
  state.keyboardOverride.delete(state.persona);
  const userId = state.persona;
  if (button.request === "request_contact") await act("owner", "/api/send_contact", { body: { user_id: userId } });
  else if (button.request === "request_location") await act("owner", "/api/send_location", { body: { user_id: userId } });
  else if (button.request) toast("owner", `The sandbox can't send “${button.request}”`, true);
  else await act("owner", "/api/send_text", { body: { user_id: userId, text: button.text } });
}

const GRAPHEMES = new Intl.Segmenter([], { granularity: "grapheme" });

// The first character a person sees (an emoji is one, however many code units it takes).
function topicInitial(name) {
  const first = GRAPHEMES.segment(name.trim())[Symbol.iterator]().next().value;
  return first ? first.segment : "#";
}

function topicEntries() {
  const group = messagesOf(groupId());
  const lastOf = (topic) => group.filter((m) => inTopic(m, topic) && !m.service).at(-1);
  const general = { thread_id: null, name: "General", icon_color: "#8e9aa6", closed: false, last: lastOf(null) };
  const topics = state.topics.map((t) => ({ ...t, last: lastOf(t.thread_id) }));
  // Newest activity first, by real time: the order things happened in, whatever the clock did.
  topics.sort((a, b) => (b.last?.date ?? 0) - (a.last?.date ?? 0) || b.thread_id - a.thread_id);
  return [general, ...topics];
}

function renderTopics() {
  $("topics").replaceChildren(...topicEntries().map((topic) => {
    const unread = state.unread.get(`topic:${topic.thread_id}`) ?? 0;
    return el("button", {
      type: "button",
      class: topic.thread_id === state.topic ? "topic active" : "topic",
      dataset: { threadId: topic.thread_id ?? "general", testid: "topic" },
      onclick: () => selectTopic(topic.thread_id),
    },
    el("span", { class: "topic-icon", style: `background:${topic.icon_color}` }, topic.thread_id === null ? "#" : topicInitial(topic.name)),
    el("span", { class: "topic-text" },
      el("span", { class: "topic-name" }, topic.closed ? "🔒 " : "", topic.name),
      el("span", { class: "topic-last" }, topic.last ? `${topic.last.from_bot ? "" : `${topic.last.sender.split(" ")[0]}: `}${plainSnippet(topic.last, 48)}` : "")),
    el("span", { class: "topic-side" },
      el("span", { class: "topic-time" }, topic.last ? formatTime(shownDate(topic.last)) : ""),
      unread ? el("span", { class: "badge" }, String(unread)) : null));
  }));
}

function selectTopic(threadId) {
  state.topic = threadId;
  state.replyTo = null;
  state.listing = false;
  state.unread.delete(`topic:${threadId}`);
  savePlace();
  renderForumView();
  renderOperator("bottom");
}

// ---- phone layout: tabs, and the topic list as a screen ---------------------------------------

function renderTabs() {
  for (const tab of document.querySelectorAll("#tabs .tab")) {
    const pane = tab.dataset.pane;
    const current = pane === state.tab;
    tab.setAttribute("aria-selected", String(current));
    const count = state.tabUnread[pane];
    const badge = tab.querySelector(".badge");
    badge.hidden = !count;
    badge.textContent = String(count);
  }
  $("owner-pane").classList.toggle("current", state.tab === "owner");
  $("operator-pane").classList.toggle("current", state.tab === "operator");
}

function selectTab(pane) {
  const changed = state.tab !== pane;
  state.tab = pane;
  state.tabUnread[pane] = 0;
  savePlace();
  renderTabs();
  // A pane that was hidden has not been laid out: put its newest messages in view.
  if (changed) rerender(pane, "bottom");
}

function renderForumView() {
  $("forum").classList.toggle("listing", state.listing);
  $("topics-open").setAttribute("aria-expanded", String(state.listing));
}

function setupLayout() {
  for (const tab of document.querySelectorAll("#tabs .tab")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.pane));
  }
  $("topics-open").addEventListener("click", () => {
    state.listing = !state.listing;
    renderForumView();
  });
  PHONE.addEventListener("change", () => {
    state.tabUnread = { owner: 0, operator: 0 };
    state.listing = false;
    renderTabs();
    renderForumView();
    if (state.info) renderAll("bottom");
  });
  renderTabs();
  renderForumView();
}

function renderOperator(scroll = "auto") {
  renderTopics();
  const topic = state.topics.find((t) => t.thread_id === state.topic);
  $("topic-title").textContent = topic ? topic.name : "General";
  $("topic-avatar").textContent = topic ? topicInitial(topic.name) : "#";
  $("topic-avatar").style.background = topic ? topic.icon_color : "#8e9aa6";
  const container = $("group-messages");
  const stick = sticks(container, scroll);
  renderReplying();
  const messages = messagesOf(groupId()).filter((m) => inTopic(m, state.topic));
  renderMessages(container, messages, {
    isOwn: (m) => m.sender_id === state.staff,
    showSender: (m) => m.sender_id !== state.staff,
    showBotName: true,
    emptyText: topic ? "No messages in this topic yet" : "Messages outside topics appear here",
    isPending: (m, data) => state.pendingKeys.has(pendingKey(m.chat_id, m.message_id, data)),
    onPress: (m, button) => press("operator", state.staff, m, button),
    onReply: (m) => setReplyTo(m),
  }, stick);
  renderStatus();
}

function renderStaff() {
  const select = $("staff");
  select.replaceChildren(...state.info.staff.map((s) => el("option", { value: s.user_id }, `${s.name}${s.admin ? " · admin" : ""}`)));
  select.value = String(state.staff);
}

function setReplyTo(message) {
  const container = $("group-messages");
  const stick = isAtBottom(container);
  state.replyTo = message;
  renderReplying();
  if (stick) container.scrollTop = container.scrollHeight;
  $("group-composer").querySelector("textarea").focus();
}

function renderReplying() {
  const box = $("group-replying");
  box.hidden = !state.replyTo;
  if (state.replyTo) box.querySelector("span").textContent = `${state.replyTo.sender}: ${plainSnippet(state.replyTo, 70)}`;
}

function renderStatus() {
  const now = Date.now();
  const typing = (chatId) => (state.typing.get(chatId) ?? 0) > now;
  const persona = state.info.personas.find((p) => p.user_id === state.persona);
  $("owner-status").textContent = typing(state.persona) ? "typing…" : `bot · chat with ${persona.name} (${persona.language})`;
  $("owner-status").classList.toggle("typing", typing(state.persona));
  const topic = state.topics.find((t) => t.thread_id === state.topic);
  const members = `${state.info.staff.length} staff + bot`;
  $("group-status").textContent = typing(groupId()) ? "bot is typing…" : topic?.closed ? `topic closed · ${members}` : members;
}

// ---- composers -------------------------------------------------------------------------------

function setupComposer(formId, pane, target) {
  const form = $(formId);
  const textarea = form.querySelector("textarea");
  const fileInput = form.querySelector("input[type=file]");
  const grow = () => {
    textarea.style.height = "auto";
    textarea.style.height = `${Math.min(textarea.scrollHeight, 160)}px`;
  };
  textarea.addEventListener("input", grow);
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textarea.value;
    if (!text.trim()) return;
    textarea.value = "";
    grow();
    const sent = await act(pane, "/api/send_text", { body: { ...target(), text } });
    if (!sent) textarea.value = text;
    else if (pane === "operator") {
      state.replyTo = null;
      renderReplying();
    }
  });
  fileInput.addEventListener("change", async () => {
    const files = [...fileInput.files];
    fileInput.value = "";
    if (!files.length) return;
    const form = new FormData();
    for (const [key, value] of Object.entries(target())) if (value !== null && value !== undefined) form.append(key, String(value));
    for (const file of files) form.append("file", file, file.name);
    await act(pane, "/api/upload", { form });
  });
}

function ownerTarget() {
  return { user_id: state.persona };
}

function groupTarget() {
  return { user_id: state.staff, chat_id: groupId(), thread_id: state.topic, reply_to: state.replyTo?.message_id ?? null };
}

// Clicking a /command in a message sends it, as in Telegram.
function setupCommandClicks() {
  $("owner-messages").addEventListener("click", (event) => {
    const command = event.target.closest?.(".command")?.dataset.command;
    if (command) act("owner", "/api/send_text", { body: { ...ownerTarget(), text: command } });
  });
  $("group-messages").addEventListener("click", (event) => {
    const command = event.target.closest?.(".command")?.dataset.command;
    if (command) act("operator", "/api/send_text", { body: { ...groupTarget(), reply_to: null, text: command } });
  });
}

// ---- the clock ------------------------------------------------------------------------------

function clockMoved(moved, body) {
  const what = body.reset ? "Back to real time"
    : body.to === "next_month" ? "Next month's first working day, 10:00"
    : `Clock ${describeOffset(body.add_seconds)}`;
  toast(state.tab === "operator" && PHONE.matches ? "operator" : "owner",
    `${what}: the bot is sending what fell due now`);
  renderGuide();
}

// ---- start here -----------------------------------------------------------------------------

function renderGuide() {
  if (!state.info) return;
  const { guide } = state.info;
  $("sample-iin").textContent = guide.iin;
  $("sample-bin").textContent = guide.bin;
  $("guide-zone").textContent = guide.timezone;
  $("clock-label").textContent = `Sandbox time (${guide.timezone})`;
  // A hearing a week ahead of the sandbox's today, so the reminders come with the clock.
  const day = isoDay(clock.now() + 7 * 86400);
  $("guide-hearing").textContent = `/hearing ${day} 15:00 Өскемен, Тәуелсіздік даңғ. 1, каб. 305`;
  for (const button of document.querySelectorAll("[data-wipe]")) button.hidden = !state.info.can_wipe;
}

function showGuide(open) {
  $("guide").hidden = !open;
  $("guide-open").setAttribute("aria-expanded", String(open));
  if (!open) {
    try {
      localStorage.setItem(GUIDE_SEEN, "1");
    } catch {
      // storage may be off: then it opens on each visit
    }
  }
}

function guideSeen() {
  try {
    return Boolean(localStorage.getItem(GUIDE_SEEN));
  } catch {
    return false;
  }
}

// Puts a sample into a composer (the owner's or the staff's), as if typed, ready to send.
function fillComposer(pane, text) {
  if (PHONE.matches) {
    showGuide(false);
    selectTab(pane);
  }
  const textarea = $(pane === "owner" ? "owner-composer" : "group-composer").querySelector("textarea");
  textarea.value = text;
  textarea.dispatchEvent(new Event("input"));
  textarea.focus();
}

function setupGuide() {
  $("guide-open").addEventListener("click", () => showGuide($("guide").hidden));
  $("guide-close").addEventListener("click", () => showGuide(false));
  $("sample-iin").addEventListener("click", () => fillComposer("owner", state.info.guide.iin));
  $("sample-bin").addEventListener("click", () => fillComposer("owner", state.info.guide.bin));
  $("guide-hearing").classList.add("sample-command");
  $("guide-hearing").title = "Put it in the staff's message box (open the appeal's topic first)";
  $("guide-hearing").addEventListener("click", () => fillComposer("operator", $("guide-hearing").textContent));
  // The office's commands: a click puts one in the pane's message box, ready to send.
  for (const command of document.querySelectorAll("#guide code[data-pane]")) {
    command.classList.add("sample-command");
    command.title = `Put it in the ${command.dataset.pane === "owner" ? "owner's" : "staff's"} message box`;
    command.addEventListener("click", () => fillComposer(command.dataset.pane, command.textContent));
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!$("wipe-confirm").hidden) $("wipe-confirm").hidden = true;
    else if (!$("guide").hidden) showGuide(false);
  });
  if (!guideSeen()) showGuide(true);
}

// ---- wiping the data ------------------------------------------------------------------------

function setupWipe() {
  for (const button of document.querySelectorAll("[data-wipe]")) {
    button.addEventListener("click", () => {
      $("wipe-confirm").hidden = false;
      $("wipe-go").focus();
    });
  }
  $("wipe-cancel").addEventListener("click", () => {
    $("wipe-confirm").hidden = true;
  });
  $("wipe-go").addEventListener("click", async () => {
    $("wipe-confirm").hidden = true;
    setWiping(true);
    const result = await act("owner", "/api/wipe", { body: { confirm: true } });
    if (result) wiped(result.clock);
    else setWiping(false);
  });
}

function setWiping(on) {
  state.wiping = Boolean(on);
  $("wiping").hidden = !state.wiping;
}

// Everything the page knew is gone: the same personas and staff, no messages, real time.
function wiped(clockState) {
  if (!state.wiping) return; // the other of the two signs (the answer, the event) came first
  setWiping(false);
  state.chats.clear();
  state.topics = [];
  state.topic = null;
  state.listing = false;
  state.unread.clear();
  state.pending.clear();
  state.pendingKeys.clear();
  state.typing.clear();
  state.keyboardOverride.clear();
  state.replyTo = null;
  state.tabUnread = { owner: 0, operator: 0 };
  if (clockState) clock.set(clockState);
  savePlace();
  renderTabs();
  renderForumView();
  loadAll().catch((error) => toast("owner", `⚠ ${error.message}`, true));
}

// ---- toasts ----------------------------------------------------------------------------------

function toast(pane, text, strong = false) {
  const paneNode = pane === "owner" ? $("owner-pane") : $("operator-pane");
  let rect = paneNode.getBoundingClientRect();
  if (!rect.width) rect = $("panes").getBoundingClientRect(); // a hidden tab: the one shown
  const node = el("div", { class: strong ? "toast strong" : "toast", role: "status", "data-testid": "toast" }, text);
  node.style.left = `${rect.left + rect.width / 2}px`;
  node.style.top = `${rect.top + rect.height * 0.4}px`;
  $("toasts").append(node);
  setTimeout(() => node.classList.add("gone"), strong ? 5000 : 2800);
  setTimeout(() => node.remove(), strong ? 5400 : 3200);
}

// ---- start -----------------------------------------------------------------------------------

function start() {
  followBottom($("owner-messages"));
  followBottom($("group-messages"));
  setupComposer("owner-composer", "owner", ownerTarget);
  setupComposer("group-composer", "operator", groupTarget);
  setupCommandClicks();
  clock.start();
  document.querySelector("#owner-composer .kbd-toggle").addEventListener("click", toggleKeyboard);
  document.querySelector("#group-replying button").addEventListener("click", () => {
    state.replyTo = null;
    renderReplying();
  });
  $("staff").addEventListener("change", (event) => {
    state.staff = Number(event.target.value);
    savePlace();
    renderOperator();
  });
  setupLayout();
  setupGuide();
  setupWipe();
  connect();
}

start();
