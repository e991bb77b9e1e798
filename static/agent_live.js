// Follows the agent's events over its websocket and refreshes the context window viewer when a run ends,
// whoever ran it (the API, the CLI, another tab). The socket authenticates with this page's session.
(function () {
  const page = document.querySelector("[data-agent-socket]");
  if (!page) return;
  const url = new URL(page.dataset.agentSocket, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const status = document.getElementById("live-status");
  const REFUSED = new Set([4401, 4404]);  // signed out, or not this organization's agent: retrying won't help
  let delay = 1000;

  function show(text) {
    if (status) status.textContent = text;
  }

  function connect() {
    const socket = new WebSocket(url);
    socket.onopen = () => { delay = 1000; show("live: refreshes when a run ends"); };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.message_type === "usage_statistics") {  // the last event of every run
        document.body.dispatchEvent(new CustomEvent("context-changed"));
      }
    };
    socket.onclose = (closed) => {
      if (REFUSED.has(closed.code)) { show("not live: sign in again"); return; }
      show("reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  connect();
})();
