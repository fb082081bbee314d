// The live dashboard's socket (SPEC §8.2, docs/realtime.md): subscribe to the page's sections with its filters, hand
// each pushed section to the page, and say how the page is kept fresh:
// - "live": the socket is open and subscribed; pushes arrive when the data changes;
// - "reconnecting": the socket closed; it is opened again after an exponential back-off with jitter;
// - "polling": the socket could not be opened (a proxy without WebSocket upgrade, say) or keeps failing; the page
//   polls every 30 seconds, and the socket is still tried now and then, switching back to push once it opens.

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
// Failed attempts in a row (none of them ever subscribed) before the page polls instead of waiting.
const ATTEMPTS_BEFORE_POLLING = 3;

function socketUrl() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/api/dashboard/realtime`;
}

/** The filters as a subscribe message sends them: the page's own names, empty meaning none. */
function subscribeFilters(filters) {
  const chosen = {};
  for (const name of ["dateRange", "startDate", "endDate", "teamId", "agentId"]) {
    if (filters[name]) {
      chosen[name] = filters[name];
    }
  }
  return chosen;
}

export class LiveConnection {
  /**
   * @param sections the page's section names
   * @param handlers {onSection(name, data), onError(message), onState("live" | "reconnecting" | "polling")}
   */
  constructor(sections, handlers) {
    this.sections = sections;
    this.handlers = handlers;
    this.filters = null;
    this.socket = null;
    this.failures = 0;
    this.retryTimer = null;
    this.state = null;
    // Pushes are taken once the server has acknowledged the latest subscription: those still on their way for the
    // filters before are not drawn under the new ones.
    this.accepting = false;
  }

  /** Open the socket (once) and subscribe with `filters`; later calls resubscribe on the open socket. */
  subscribe(filters) {
    this.filters = filters;
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.sendSubscription();
    } else if (this.socket === null && this.retryTimer === null) {
      this.open();
    }
  }

  open() {
    this.retryTimer = null;
    let socket;
    try {
      socket = new WebSocket(socketUrl());
    } catch (error) {
      console.warn("live updates unavailable", error);
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => this.sendSubscription());
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      if (this.socket === socket) {
        this.socket = null;
        this.scheduleRetry();
      }
    });
  }

  sendSubscription() {
    this.accepting = false;
    this.socket.send(
      JSON.stringify({ type: "subscribe", sections: this.sections, filters: subscribeFilters(this.filters) }),
    );
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "subscribed") {
      this.failures = 0;
      this.accepting = true;
      this.setState("live");
    } else if (message.type === "section" && this.accepting) {
      this.handlers.onSection(message.section, message.data);
    } else if (message.type === "error") {
      // The filters were refused (the panels' own loads say why): the page polls until they change.
      this.handlers.onError(message);
      this.setState("polling");
    }
  }

  scheduleRetry() {
    this.failures += 1;
    this.setState(this.failures >= ATTEMPTS_BEFORE_POLLING ? "polling" : "reconnecting");
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.failures - 1));
    // Jitter (half the delay at random): a server restart does not bring every page back at the same instant.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  setState(state) {
    if (state !== this.state) {
      this.state = state;
      this.handlers.onState(state);
    }
  }
}
