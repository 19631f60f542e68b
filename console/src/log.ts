import { type Api, ApiError, type NotificationView } from "./api";
import { card, focusIfLost, h, hintText, replace, timeEl, uid } from "./dom";

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
/** How a retry from this page went. A failed one comes back looking as it was, so its row says so in words. */
const retryOutcome = (n: NotificationView) =>
  n.status === "failed" ? `failed again (${n.error ?? "error"})` : STATUS_LABEL[n.status].toLowerCase();
/** The row's note while it is retried and when it failed again (a delivered one shows its new status). */
const retryNote = (n: NotificationView) =>
  n.status === "pending" ? "Retrying…" : n.status === "failed" ? `Retried: ${retryOutcome(n)}` : null;

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
  /** Notifications retried from this page: their rows say how the retry went, and when. */
  const retried = new Set<string>();

  const row = (n: NotificationView): HTMLTableRowElement => {
    const what = uid("what");
    const cell = (label: string, ...content: (Node | string | null)[]) =>
      h("td", { "data-label": label }, h("div", { class: "cell" }, ...content));
    const again = retried.has(n.id);
    // A retried row's note names its error itself.
    const note = again ? retryNote(n) : null;
    const tr = h(
      "tr",
      { "data-id": n.id, "data-status": n.status },
      cell(
        "Time",
        timeEl(n.created_at),
        again ? h("span", { class: "muted small" }, "retried ", timeEl(n.updated_at)) : null,
      ),
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
        note
          ? h("span", { class: `retry-note retry-${n.status}` }, note)
          : n.error
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

  /** Puts `n`'s row in place of `old`; the focus, if it was in the old row (or is `claim`ed), goes on to the new one. */
  const swap = (old: HTMLTableRowElement, n: NotificationView, claim = false) => {
    const fresh = row(n);
    const had = claim || old.contains(document.activeElement);
    old.replaceWith(fresh);
    fresh.tabIndex = -1;
    if (had) focusIfLost(fresh);
  };

  let following = false;
  let fastUntil = 0;
  let followUntil = 0;
  /**
   * Follows the pending rows shown until the delivery worker has an outcome for each, in place: about four requests
   * a second however many rows wait for 15 s after the last reason to, then a round every few seconds up to two
   * minutes (a test message queued behind a backlog settles that late; the log's Refresh shows later ones).
   */
  async function follow() {
    fastUntil = Date.now() + 15_000;
    followUntil = Date.now() + 120_000;
    if (following) return;
    following = true;
    try {
      for (;;) {
        const pending = [...rows.querySelectorAll<HTMLTableRowElement>('tr[data-status="pending"]')].slice(0, 10);
        if (!pending.length || Date.now() > followUntil) return;
        await new Promise((r) => setTimeout(r, 250 * pending.length + (Date.now() > fastUntil ? 2_500 : 0)));
        const settled = await Promise.all(
          pending.map(async (tr) => {
            const n = await ctx.api.call<NotificationView>("GET", `${ctx.base}/notifications/${tr.dataset.id}`);
            if (n.status === "pending" || !tr.isConnected) return false;
            swap(tr, n);
            if (retried.has(n.id)) live.textContent = `Retried ${n.channel}: ${retryOutcome(n)}.`;
            return true;
          }),
        );
        if (settled.includes(true)) ctx.onOutcome();
      }
    } catch {
      // The API could not be asked (unreachable, or the session is over): Refresh shows the outcomes.
    } finally {
      following = false;
    }
  }

  async function doRetry(n: NotificationView, tr: HTMLTableRowElement, button: HTMLButtonElement) {
    button.disabled = true;
    try {
      const current = await ctx.api.call<NotificationView>("POST", `${ctx.base}/notifications/${n.id}/retry`);
      retried.add(n.id);
      // The Retry button lost the focus when it was disabled: the row keeps it while the retry goes on.
      swap(tr, current, true);
      live.textContent = `Retrying ${n.channel}: back to pending.`;
      void follow();
    } catch (err) {
      button.disabled = false;
      focusIfLost(button);
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
      const added = r.items.map(row);
      rows.append(...added);
      shown += r.items.length;
      // Pending rows are followed to their outcome: after a disconnect, say, they fail as not_connected shortly.
      if (r.items.some((n) => n.status === "pending")) void follow();
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
      // Load more was disabled while it worked (and is gone after the last page): the focus goes to the first new row.
      if (!reset && added[0]) {
        added[0].tabIndex = -1;
        focusIfLost(added[0]);
      }
    } catch (err) {
      if (mine !== generation) return;
      empty.hidden = true;
      message.textContent = `Could not load the log: ${err instanceof ApiError ? err.message : String(err)}`;
      message.hidden = false;
    } finally {
      more.disabled = false;
      if (!reset) focusIfLost(more);
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
