// An agent's page, live. On every tab: follows the agent's websocket (session-authenticated), reconnects with
// backoff, and says so with a sign-in link when the session ended (close code 4401): it does not leave the page by
// itself, so nothing typed into it is lost. On the first tab: the chat.
// One renderer per message type draws the history embedded in the page, the older pages loaded on scroll, the
// catch-up after a reconnect and the live events alike, always with textContent (message text is never HTML).
// The events are those of agents/events.py: LettaMessages (token deltas marked `delta`), plus run_started,
// step_finished and run_finished. The context viewer refreshes on a `context-changed` event sent from here.
(function () {
  "use strict";
  const head = document.querySelector("[data-agent-socket]");
  if (!head) return;
  const status = document.getElementById("live-status");
  const chat = document.getElementById("chat");

  function show(text) {
    if (status) status.textContent = text;
  }

  function contextChanged() {
    document.body.dispatchEvent(new CustomEvent("context-changed"));
  }

  // Coming back to the tab refreshes the viewer (a filter in hx-trigger would need eval, which CSP forbids).
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") contextChanged();
  });

  // ------------------------------------------------------------------------------------------- rendering

  const log = chat && document.getElementById("chat-log");
  const list = chat && document.getElementById("chat-messages");
  const shown = new Map(); // otid (a whole message), "p:id|type|call" (one built from deltas), "run:id" -> <li>
  const toolNames = new Map(); // tool_call_id -> tool name, to know a memory edit when its return comes
  const answered = new Set(); // approval requests (message ids) already answered
  const MEMORY_TOOL = /^(core_)?memory_/;
  let agentTools = new Set();
  let newestSeq = 0;
  let oldestSeq = null;
  let hasOlder = false;
  let running = null; // {run_id}
  let liveStarts = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(href, text) {
    const a = el("a", null, text);
    a.href = href;
    return a;
  }

  function runLink(runId, text) {
    return link(chat.dataset.runUrl + encodeURIComponent(runId) + "/", text || "open the run");
  }

  function pretty(args) {
    if (args === null || args === undefined) return "";
    try {
      return JSON.stringify(typeof args === "string" ? JSON.parse(args) : args, null, 2);
    } catch (e) {
      return String(args);
    }
  }

  function item(msg, kind) {
    const li = el("li", "msg " + kind);
    if (msg.run_id) li.dataset.run = msg.run_id;
    return li;
  }

  function bubble(msg, who, text) {
    const li = item(msg, "msg-bubble msg-" + who.toLowerCase());
    li.append(el("div", "who", who), el("div", "body", text || ""));
    li.lastChild.dataset.stream = "";
    return li;
  }

  function folded(msg, kind, summary, text, open) {
    const li = item(msg, kind);
    const details = el("details");
    if (open) details.open = true;
    const pre = el("pre", null, text || "");
    pre.dataset.stream = "";
    details.append(el("summary", null, summary), pre);
    li.append(details);
    return li;
  }

  function callOf(msg) {
    const call = msg.tool_call || (Array.isArray(msg.tool_calls) ? msg.tool_calls[0] : msg.tool_calls) || {};
    return call;
  }

  const RENDER = {
    user_message: (msg) => bubble(msg, "You", msg.content),
    system_message: (msg) => bubble(msg, "System", msg.content),
    assistant_message: (msg) => bubble(msg, "Agent", msg.content),
    reasoning_message: (msg) => folded(msg, "msg-reasoning", "Reasoning", msg.reasoning),
    hidden_reasoning_message: (msg) => folded(msg, "msg-reasoning", "Reasoning (hidden by the provider)", ""),
    tool_call_message: (msg) => {
      const call = callOf(msg);
      if (call.tool_call_id && call.name) toolNames.set(call.tool_call_id, call.name);
      const li = folded(msg, "msg-tool", "Tool call: " + (call.name || "…"), msg.delta ? call.arguments : pretty(call.arguments));
      li.querySelector("summary").dataset.toolName = "";
      return li;
    },
    tool_return_message: (msg) => {
      const name = toolNames.get(msg.tool_call_id);
      const label = "Tool return" + (name ? " from " + name : "") + ": " + msg.status;
      const li = folded(msg, "msg-tool msg-return-" + msg.status, label, msg.tool_return);
      if (msg.status === "success" && name && MEMORY_TOOL.test(name)) memoryDiff(li, msg.tool_call_id);
      return li;
    },
    approval_request_message: approvalRequest,
    approval_response_message: (msg) => {
      const li = item(msg, "msg-note");
      const reason = msg.reason ? ": “" + msg.reason + "”" : "";
      li.textContent = (msg.approve === false ? "Denied" + reason : "Approved") + ".";
      if (msg.approval_request_id) markAnswered(msg.approval_request_id);
      return li;
    },
    error_message: (msg) => {
      const li = item(msg, "callout error msg-error");
      li.setAttribute("role", "alert");
      const p = el("p", null, "The run failed: " + (msg.message || msg.error_type || "an error") + ". ");
      p.append("The run was kept: ", runLink(msg.run_id), ".");
      li.append(p);
      return li;
    },
    event_message: (msg) => {
      const data = msg.event_data || {};
      const what = msg.event_type === "compaction" ? "Older messages were summarized to keep the context in its budget" : msg.event_type;
      return folded(msg, "msg-note", what, pretty(data));
    },
  };

  function memoryDiff(li, toolCallId) {
    const box = el("div", "chat-diffs");
    box.setAttribute("aria-live", "polite");
    li.append(box);
    const url = chat.dataset.revisionsUrl + "?tool_call=" + encodeURIComponent(toolCallId);
    // Server-rendered (escaped) diffs, swapped in by htmx once the element is in the page.
    setTimeout(() => window.htmx.ajax("GET", url, { target: box, swap: "innerHTML" }), 0);
  }

  function approvalRequest(msg) {
    const li = item(msg, "msg-approval");
    li.dataset.request = msg.id;
    const calls = Array.isArray(msg.tool_calls) ? msg.tool_calls : [callOf(msg)];
    li.append(el("p", "who", "Approval needed"));
    const clientCalls = [];
    for (const call of calls) {
      toolNames.set(call.tool_call_id, call.name);
      const block = el("div", "approval-call");
      block.append(el("p", null, "The agent wants to call " + call.name + " with:"), el("pre", null, pretty(call.arguments)));
      li.append(block);
      if (!agentTools.has(call.name)) clientCalls.push(call);
    }
    if (answered.has(msg.id)) {
      li.append(el("p", "muted small answered", "Answered."));
    } else if (clientCalls.length) {
      li.append(clientToolNote(clientCalls));
    } else {
      li.append(approvalForm(calls));
      setTimeout(() => window.htmx.process(li), 0); // once in the page, htmx posts it
    }
    return li;
  }

  function clientToolNote(calls) {
    const note = el("div", "callout warn");
    const names = calls.map((c) => c.name).join(", ");
    note.append(
      el("p", null, names + " is a client-side tool: it runs in the program that called the agent, so this page cannot run it."),
      el("p", null, "Answer it through the API with its result:"),
      el("pre", null, "POST " + chat.dataset.apiMessages + "\n" + JSON.stringify({
        messages: [{ type: "approval", approvals: calls.map((c) => ({ type: "tool", tool_call_id: c.tool_call_id, tool_return: "…", status: "success" })) }],
      }, null, 2)),
    );
    return note;
  }

  let formCount = 0;
  function approvalForm(calls) {
    formCount += 1;
    const form = el("form", "approval-form");
    form.method = "post";
    form.action = chat.dataset.approveUrl;
    form.setAttribute("hx-post", chat.dataset.approveUrl);
    const result = el("div", "approval-result");
    result.id = "approval-result-" + formCount;
    form.setAttribute("hx-target", "#" + result.id);
    form.setAttribute("hx-swap", "innerHTML");
    const csrf = document.querySelector("#chat-send [name=csrfmiddlewaretoken]");
    if (csrf) form.append(csrf.cloneNode());
    const conversation = document.querySelector("#chat-send [name=conversation]");
    if (conversation) form.append(conversation.cloneNode());
    for (const call of calls) {
      const hidden = el("input");
      hidden.type = "hidden";
      hidden.name = "tool_call_id";
      hidden.value = call.tool_call_id;
      form.append(hidden);
    }
    const field = el("div", "field");
    const label = el("label", null, "Reason (told to the agent when you deny)");
    const reason = el("input");
    reason.type = "text";
    reason.name = "reason";
    reason.id = "approval-reason-" + formCount;
    label.htmlFor = reason.id;
    field.append(label, reason);
    const actions = el("div", "actions");
    for (const [value, text, cls] of [["approve", "Approve", "primary"], ["deny", "Deny", "danger"]]) {
      const button = el("button", cls, text);
      button.type = "submit";
      button.name = "decision";
      button.value = value;
      actions.append(button);
    }
    form.append(field, actions, result);
    return form;
  }

  function markAnswered(requestId) {
    answered.add(requestId);
    const li = list.querySelector('[data-request="' + CSS.escape(requestId) + '"]');
    const form = li && li.querySelector("form.approval-form");
    if (form) form.replaceWith(el("p", "muted small answered", "Answered."));
  }

  function partialKey(msg) {
    const call = msg.message_type === "tool_call_message" ? callOf(msg).tool_call_id || "" : "";
    return "p:" + msg.id + "|" + msg.message_type + "|" + call;
  }

  function streamTarget(li) {
    return li.querySelector("[data-stream]");
  }

  // Draw one message into `into` (the list, or a fragment of older history); false when it was already shown.
  function place(msg, into) {
    if (msg.message_type === "run_finished") {
      const footer = runFooter(msg);
      if (footer) into.append(footer);
      return Boolean(footer);
    }
    const render = RENDER[msg.message_type];
    if (!render) return false;
    if (msg.otid && shown.has(msg.otid)) return false;
    const key = partialKey(msg);
    if (msg.delta) {
      appendDelta(msg, key);
      return true;
    }
    const li = render(msg);
    if (msg.message_type === "approval_request_message") dropStreamedCalls(msg);
    const partial = shown.get(key);
    if (partial) {
      partial.replaceWith(li); // what was stored replaces what the deltas built
      shown.delete(key);
    } else {
      into.append(li);
    }
    if (msg.otid) shown.set(msg.otid, li);
    if (msg.seq_id) newestSeq = Math.max(newestSeq, msg.seq_id);
    return true;
  }

  // A call that waits for approval streamed in as a tool call; the approval request shows it instead.
  function dropStreamedCalls(msg) {
    for (const call of msg.tool_calls || []) {
      const key = "p:" + msg.id + "|tool_call_message|" + call.tool_call_id;
      if (shown.has(key)) {
        shown.get(key).remove();
        shown.delete(key);
      }
    }
  }

  function appendDelta(msg, key) {
    let li = shown.get(key);
    const call = callOf(msg);
    if (!li) {
      li = RENDER[msg.message_type]({ ...msg, content: "", reasoning: "", tool_call: { ...call, arguments: "" } });
      shown.set(key, li);
      list.append(li);
    }
    if (msg.message_type === "tool_call_message" && call.name) {
      toolNames.set(call.tool_call_id, call.name);
      li.querySelector("summary").textContent = "Tool call: " + call.name;
    }
    const piece = msg.message_type === "tool_call_message" ? call.arguments : msg.content ?? msg.reasoning;
    if (piece) streamTarget(li).append(document.createTextNode(piece));
  }

  function runFooter(run) {
    const key = "run:" + run.run_id;
    if (shown.has(key)) return null;
    const li = el("li", "msg run-end");
    li.dataset.runEnd = run.run_id;
    const parts = [
      "Run " + (run.status || "ended") + ": " + (run.stop_reason || "no stop reason"),
      run.step_count + " step" + (run.step_count === 1 ? "" : "s"),
      (run.total_tokens || 0).toLocaleString() + " tokens",
    ];
    if (run.duration_ms !== null && run.duration_ms !== undefined) parts.push((run.duration_ms / 1000).toFixed(1) + " s");
    li.append(parts.join(" · ") + " · ", runLink(run.run_id));
    if (run.error && run.error.message) li.append(el("span", "run-error", " " + run.error.message));
    shown.set(key, li);
    return li;
  }

  // A page of stored messages, with the footers of its runs that have ended, after the last message of each.
  function renderPage(data, into) {
    for (const msg of data.messages) place(msg, into);
    for (const run of Object.values(data.runs || {})) {
      const rows = into.querySelectorAll('[data-run="' + CSS.escape(run.run_id) + '"]');
      const footer = rows.length ? runFooter(run) : null;
      if (footer) rows[rows.length - 1].after(footer);
    }
    updateEmpty();
  }

  function updateEmpty() {
    document.getElementById("chat-empty").hidden = list.children.length > 0;
    document.getElementById("chat-older").hidden = !hasOlder;
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  }

  function keepingBottom(change) {
    const stick = nearBottom();
    change();
    if (stick) log.scrollTop = log.scrollHeight;
  }

  // ------------------------------------------------------------------------------------------- runs

  function setRunning(run) {
    running = run;
    document.getElementById("chat-running").hidden = !run;
    if (run) {
      document.getElementById("chat-running-text").textContent = "running";
      document.getElementById("chat-cancel-note").textContent = "";
    }
  }

  // The websocket carries every thread of the agent; this page shows one (its `data-conversation`, "" for the
  // agent's default thread).
  const thread = chat ? chat.dataset.conversation || "" : null;

  // A run's page that follows the run (templates/agents/run.html) is fetched again when it takes a step or ends.
  function runChanged(runId) {
    if (runId && document.querySelector('[data-live-run="' + CSS.escape(runId) + '"]')) {
      document.body.dispatchEvent(new CustomEvent("run-changed"));
    }
  }

  function handle(event) {
    const type = event.message_type;
    if (type === "step_finished" || type === "run_finished") runChanged(event.run_id);
    if (thread !== null && (event.conversation_id || "") !== thread) {
      // Every thread of the agent shares its memory blocks: a step elsewhere that changed one changes this view.
      if (type === "step_finished" && (event.changed_block_ids || []).length) contextChanged();
      return;
    }
    if (type === "run_started") {
      liveStarts += 1;
      setRunning({ run_id: event.run_id });
    } else if (type === "step_finished") {
      contextChanged();
    } else if (type === "run_finished") {
      if (running && running.run_id === event.run_id) setRunning(null);
      if (chat) draw(event);
      contextChanged();
    } else if (chat) {
      draw(event);
    }
  }

  // Messages are drawn once per frame, not once per event: a fast stream brings hundreds of deltas a second,
  // and laying the page out after each would fall behind it. A hidden tab gets no frames, hence the timer.
  const waiting = [];
  function draw(event) {
    waiting.push(event);
    if (waiting.length > 1) return;
    const later = document.visibilityState === "visible" ? window.requestAnimationFrame : (f) => setTimeout(f, 50);
    later(() => {
      keepingBottom(() => {
        for (const item of waiting.splice(0)) place(item, list);
      });
      updateEmpty();
    });
  }

  // ------------------------------------------------------------------------------------------- loading

  async function getJSON(params) {
    if (thread) params = { ...params, conversation: thread };
    const response = await fetch(chat.dataset.messagesUrl + "?" + new URLSearchParams(params), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      redirect: "manual",
    });
    if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
      signIn();
      throw new Error("signed out");
    }
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  let loadingOlder = false;
  async function loadOlder() {
    if (!hasOlder || loadingOlder) return;
    loadingOlder = true;
    try {
      const data = await getJSON({ before: oldestSeq });
      const fragment = document.createDocumentFragment();
      const before = log.scrollHeight;
      hasOlder = data.has_more;
      oldestSeq = data.oldest;
      renderPage(data, fragment);
      list.prepend(fragment);
      log.scrollTop += log.scrollHeight - before; // the messages in view stay where they were
      updateEmpty();
    } finally {
      loadingOlder = false;
    }
  }

  async function catchUp() {
    const starts = liveStarts;
    let data;
    do {
      data = await getJSON({ after: newestSeq });
      keepingBottom(() => renderPage(data, list));
      newestSeq = Math.max(newestSeq, data.newest || 0);
    } while (data.has_more);
    if (data.active_run) setRunning(data.active_run);
    else if (starts === liveStarts) setRunning(null); // unless a run began meanwhile
  }

  function startChat() {
    const data = JSON.parse(document.getElementById("chat-data").textContent);
    agentTools = new Set(data.tools);
    hasOlder = data.has_more;
    oldestSeq = data.oldest;
    renderPage(data, list);
    setRunning(data.active_run);
    log.scrollTop = log.scrollHeight;
    log.addEventListener("scroll", () => {
      if (log.scrollTop < 40) loadOlder();
    });
    document.getElementById("chat-older").addEventListener("click", loadOlder);
    // Enter sends, Shift+Enter is a new line. The form is swapped after each send, hence the delegation.
    document.addEventListener("keydown", (event) => {
      const box = event.target;
      if (!box.matches || !box.matches("[data-chat-box]")) return;
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        box.form.requestSubmit();
      }
    });
    document.body.addEventListener("htmx:afterSettle", (event) => {
      if (event.target.id !== "chat-send" && !event.target.closest("#chat-send")) return;
      const box = document.querySelector("[data-chat-box]");
      if (box && (document.activeElement === document.body || !document.activeElement)) box.focus();
    });
  }

  // ------------------------------------------------------------------------------------------- socket

  function signInUrl() {
    const next = window.location.pathname + window.location.search;
    return status.dataset.signInUrl + "?next=" + encodeURIComponent(next);
  }

  function signIn() {
    window.location.assign(signInUrl());
  }

  function showSignedOut() {
    if (!status) return;
    const link = document.createElement("a");
    link.href = signInUrl();
    link.textContent = "sign in again";
    status.replaceChildren("not live: you were signed out, ", link);
  }

  const url = new URL(head.dataset.agentSocket, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const FIRST_DELAY = 500;
  let delay = FIRST_DELAY;

  function connect() {
    const socket = new WebSocket(url);
    socket.onopen = () => {
      delay = FIRST_DELAY;
      show("live");
      // What happened between the page's render (or the drop) and now: stored messages and the active run.
      if (chat) catchUp().catch(() => show("live (could not catch up: reload the page)"));
    };
    socket.onmessage = (message) => handle(JSON.parse(message.data));
    socket.onclose = (closed) => {
      if (closed.code === 4401) {
        showSignedOut();
        return;
      }
      if (closed.code === 4404) {
        show("this agent no longer exists");
        return;
      }
      show("reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  if (chat) startChat();
  connect();
})();
