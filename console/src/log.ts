import { type Api, ApiError, type NotificationView } from "./api";
import { card, h, hintText, replace, timeEl, uid } from "./dom";

const TYPE_LABEL: Record<string, string> = {
  scan_completed: "Scan completed",
  upgrade_scheduled: "Upgrade scheduled",
  execution_started: "Execution started",
  execution_completed: "Execution completed",
  execution_failed: "Execution failed",
  test: "Test message",
};
const STATUS_LABEL = { pending: "Pending", delivered: "Delivered", failed: "Failed" } as const;
const BADGE = { pending: "badge-pending", delivered: "badge-ok", failed: "badge-failing" } as const;

/**
 * The notification log, newest first: a Status filter, Load more (the API's next_cursor; a filtered page may be
 * short and still have more), and Retry on failed notifications, whose outcome is then followed until it settles.
 */
export function notificationLog(ctx: {
  api: Api;
  base: string;
  canRead: boolean;
  canRetry: boolean;
  /** Told when an outcome may have changed a channel's health (a retry settled, a refresh). */
  onOutcome(): void;
}) {
  const statusId = uid("status");
  const status = h(
    "select",
    { id: statusId },
    h("option", { value: "" }, "All"),
    ...(["pending", "delivered", "failed"] as const).map((s) => h("option", { value: s }, STATUS_LABEL[s])),
  );
  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
  const rows = h("tbody", {});
  const table = h(
    "table",
    { class: "log" },
    h("caption", { class: "visually-hidden" }, "Notifications, newest first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Time", "Event", "Channel", "Status", "Attempts", "Details", ""].map((t) =>
          h("th", { scope: "col" }, t || h("span", { class: "visually-hidden" }, "Action")),
        ),
      ),
    ),
    rows,
  );
  const empty = h("p", { class: "empty", hidden: true });
  const message = h("p", { class: "error", role: "alert", hidden: true });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const live = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const el = card(
    { id: "log-title", title: "Notification log", subtitle: "Every message and its outcome, newest first" },
    h(
      "div",
      { class: "toolbar" },
      h("div", { class: "field inline" }, h("label", { for: statusId }, "Status"), status),
      refresh,
    ),
    h("div", { class: "table-wrap" }, table),
    empty,
    message,
    more,
    live,
  );

  let cursor: string | null = null;
  let shown = 0;
  let generation = 0;

  const row = (n: NotificationView): HTMLTableRowElement => {
    const what = uid("what");
    const cell = (label: string, ...content: (Node | string | null)[]) =>
      h("td", { "data-label": label }, h("div", { class: "cell" }, ...content));
    const tr = h(
      "tr",
      { "data-id": n.id },
      cell("Time", timeEl(n.created_at)),
      cell(
        "Event",
        h(
          "span",
          { id: what },
          TYPE_LABEL[n.type] ?? n.type,
          h("span", { class: "visually-hidden" }, ` to ${n.channel}`),
        ),
        h("span", { class: "muted small" }, n.event_id),
      ),
      cell("Channel", h("span", { class: "channel-name" }, n.channel)),
      cell("Status", h("span", { class: `badge ${BADGE[n.status]}` }, STATUS_LABEL[n.status])),
      cell("Attempts", String(n.attempts)),
      cell(
        "Details",
        n.error
          ? h("code", {}, n.error)
          : n.thread_error
            ? h("span", {}, "Status message not updated: ", h("code", {}, n.thread_error))
            : h("span", { class: "muted" }, "—"),
        n.uncertain ? h("span", { class: "muted small" }, "An earlier attempt may have been posted.") : null,
        n.hint ? h("span", { class: "hint small" }, ...hintText(n.hint)) : null,
      ),
      h("td", { "data-label": "" }),
    );
    if (n.status === "failed" && ctx.canRetry) {
      const retry = h("button", { type: "button", class: "secondary small", "aria-describedby": what }, "Retry");
      retry.addEventListener("click", () => void doRetry(n, tr, retry));
      (tr.lastElementChild as HTMLElement).append(retry);
    }
    return tr;
  };

  async function doRetry(n: NotificationView, tr: HTMLTableRowElement, button: HTMLButtonElement) {
    button.disabled = true;
    try {
      let current = await ctx.api.call<NotificationView>("POST", `${ctx.base}/notifications/${n.id}/retry`);
      const swap = (next: NotificationView) => {
        const fresh = row(next);
        tr.replaceWith(fresh);
        tr = fresh;
      };
      swap(current);
      live.textContent = `Retrying ${n.channel}: back to pending.`;
      const first = tr.querySelector("td") as HTMLElement;
      first.setAttribute("tabindex", "-1");
      first.focus();
      // Follow it until the delivery worker has an outcome (bounded: the log's Refresh shows later ones).
      for (let i = 0; i < 40 && current.status === "pending"; i++) {
        await new Promise((r) => setTimeout(r, 250));
        current = await ctx.api.call<NotificationView>("GET", `${ctx.base}/notifications/${n.id}`);
      }
      swap(current);
      if (current.status !== "pending") live.textContent = `${n.channel}: ${STATUS_LABEL[current.status]}.`;
      ctx.onOutcome();
    } catch (err) {
      button.disabled = false;
      message.textContent = `Retry failed: ${(err as Error).message}`;
      message.hidden = false;
    }
  }

  async function page(reset: boolean) {
    const mine = reset ? ++generation : generation;
    message.hidden = true;
    if (reset) {
      cursor = null;
      shown = 0;
      replace(rows);
      empty.hidden = false;
      empty.textContent = "Loading…";
    }
    more.disabled = true;
    const q = new URLSearchParams({ limit: "25" });
    if (status.value) q.set("status", status.value);
    if (cursor) q.set("cursor", cursor);
    try {
      const r = await ctx.api.call<{ items: NotificationView[]; next_cursor: string | null }>(
        "GET",
        `${ctx.base}/notifications?${q}`,
      );
      if (mine !== generation) return;
      rows.append(...r.items.map(row));
      shown += r.items.length;
      cursor = r.next_cursor;
      more.hidden = cursor === null;
      const filter = status.value ? STATUS_LABEL[status.value as keyof typeof STATUS_LABEL].toLowerCase() : "";
      empty.hidden = shown > 0;
      table.hidden = shown === 0;
      if (!shown) {
        empty.textContent = filter
          ? cursor
            ? `No ${filter} notifications among the latest ones. Load more to look further back.`
            : `No ${filter} notifications.`
          : "No notifications yet. Send a test message or post an event, and each message and its outcome shows here.";
      }
      live.textContent = reset ? `${shown} notification${shown === 1 ? "" : "s"} shown.` : `${r.items.length} more.`;
    } catch (err) {
      if (mine !== generation) return;
      empty.hidden = true;
      message.textContent = `Could not load the log: ${err instanceof ApiError ? err.message : String(err)}`;
      message.hidden = false;
    } finally {
      more.disabled = false;
    }
  }

  status.addEventListener("change", () => void page(true));
  refresh.addEventListener("click", () => {
    void page(true);
    ctx.onOutcome();
  });
  more.addEventListener("click", () => void page(false));

  const load = () => {
    if (!ctx.canRead) {
      replace(
        el,
        el.firstChild as Node,
        h("p", { class: "notice" }, "This token cannot read the log (notifications:read)."),
      );
      return Promise.resolve();
    }
    return page(true);
  };
  return { el, load };
}
