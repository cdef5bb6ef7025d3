// Live updates over a websocket that survives restarts: when the connection drops (a web
// replica restarts, Redis blips, the laptop sleeps) it reconnects with exponential backoff and
// jitter, and tells the page so it can show "reconnecting" instead of silently going stale.
// A refusal by the server (4401 not logged in, 4403 no grant, 4404 no such namespace) is final.
//
//   const sub = smiLive.subscribe("/ws/live/clusters/1/namespaces/shop/", {
//     onMessage(message) { ... },           // parsed JSON sent by the server
//     onStatus(status, detail) { ... },     // "connecting" | "live" | "reconnecting" | "refused" | "closed"
//   });                                      // "live" comes with the server's "subscribed" message,
//   sub.close();                             // after it has checked the user's grants
(() => {
  const REFUSED = new Set([4401, 4403, 4404]);
  const BASE_DELAY_MS = 500;
  const MAX_DELAY_MS = 15000;

  function subscribe(path, { onMessage = () => {}, onStatus = () => {} } = {}) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}${path}`;
    let socket = null;
    let attempts = 0;
    let timer = null;
    let closed = false;

    function connect() {
      onStatus(attempts === 0 ? "connecting" : "reconnecting", { attempts });
      socket = new WebSocket(url);
      socket.addEventListener("message", (event) => {
        let message;
        try { message = JSON.parse(event.data); } catch { return; }
        if (message.type === "subscribed") { attempts = 0; onStatus("live", {}); return; }
        onMessage(message);
      });
      socket.addEventListener("close", (event) => {
        if (closed) return;
        if (REFUSED.has(event.code)) { onStatus("refused", { code: event.code }); return; }
        attempts += 1;
        const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempts - 1, 10));
        const delay = ceiling / 2 + Math.random() * (ceiling / 2);
        onStatus("reconnecting", { attempts, delay });
        timer = setTimeout(connect, delay);
      });
    }

    connect();
    return {
      close() {
        closed = true;
        clearTimeout(timer);
        if (socket) socket.close();
        onStatus("closed", {});
      },
    };
  }

  // A status line any page can share: <span data-live-status></span>.
  const LABELS = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…",
    refused: "live updates refused", closed: "offline" };
  function showStatus(node, status, detail) {
    if (!node) return;
    node.dataset.state = status;
    node.textContent = LABELS[status] || status;
    if (status === "reconnecting" && detail && detail.delay) {
      node.title = `attempt ${detail.attempts}, next try in ${Math.round(detail.delay / 100) / 10} s`;
    } else {
      node.title = "";
    }
  }

  window.smiLive = { subscribe, showStatus };
})();
