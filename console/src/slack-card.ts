import {
  type Api,
  ApiError,
  type ChannelView,
  type IntegrationView,
  METHOD_LABEL,
  type NotificationView,
  type TestResult,
} from "./api";
import { describeConditions } from "./conditions";
import { configForm } from "./config-form";
import { card, focusIfLost, h, hintText, isBusy, markBusy, replace, safeLink, timeEl } from "./dom";

/** How each test result reads. */
const TEST_BADGE: Record<TestResult["status"], { cls: string; text: string }> = {
  delivered: { cls: "badge-ok", text: "Delivered" },
  failed: { cls: "badge-failing", text: "Failed" },
  pending: { cls: "badge-pending", text: "Still queued" },
};

const HEALTH_LABEL = { ok: "Delivering", failing: "Failing", unknown: "No posts yet" } as const;

const logo = () =>
  h("span", { class: "slack-logo", "aria-hidden": "true" }, h("span", {}), h("span", {}), h("span", {}), h("span", {}));

function channelHealth(c: ChannelView): HTMLElement {
  const health = c.health ?? { status: "unknown" as const };
  return h(
    "li",
    { class: `channel health-${health.status}` },
    h(
      "div",
      { class: "channel-head" },
      h("span", { class: "channel-name" }, c.name),
      h("span", { class: `badge badge-${health.status}` }, HEALTH_LABEL[health.status]),
    ),
    health.status === "ok" && health.last_delivered_at
      ? h("p", { class: "muted" }, "Last delivered ", timeEl(health.last_delivered_at))
      : null,
    health.status === "failing"
      ? h(
          "p",
          {},
          h("code", {}, health.last_error ?? "error"),
          health.last_error_at ? [" · ", timeEl(health.last_error_at)] : null,
        )
      : null,
    health.hint ? h("p", { class: "hint-box" }, ...hintText(health.hint)) : null,
    c.conditions.length ? h("p", { class: "muted" }, "Conditions: ", describeConditions(c.conditions)) : null,
    c.mentions?.length
      ? h(
          "p",
          { class: "muted" },
          `Mentions ${c.mentions.join(", ")} on ${(c.mention_on ?? ["critical"]).join(", ") || "no severity"}`,
        )
      : null,
  );
}

function fact(term: string, ...value: (Node | string | null)[]) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

/**
 * The Slack card (Medulla's Integrations page): not connected, with Connect Slack; or connected, with the connection's
 * details, each channel's health, Test Integration, Edit settings and Disconnect (after Confirm).
 */
export function slackCard(ctx: {
  api: Api;
  base: string;
  canWrite: boolean;
  canRead: boolean;
  /** After a connect, save or disconnect (`settings`), or a test message. */
  onChange(settings: boolean): void;
  onFirstRender(): void;
}) {
  const body = h("div", { class: "card-body" });
  const status = h("span", { class: "badge" });
  const live = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const el = card(
    {
      id: "slack-title",
      title: "Slack",
      subtitle: "Upgrade notifications in your channels",
      icon: logo(),
      badge: status,
      class: "slack",
    },
    live,
    body,
  );
  let view: IntegrationView | null = null;
  let rendered = false;

  const setStatus = (connected: boolean | null) => {
    status.className = `badge ${connected ? "badge-ok" : "badge-unknown"}`;
    status.textContent = connected === null ? "" : connected ? "Connected" : "Not connected";
    status.hidden = connected === null;
  };

  const firstRender = () => {
    if (rendered) return;
    rendered = true;
    ctx.onFirstRender();
  };

  function showNotConnected(focus = false) {
    setStatus(false);
    const connect = h(
      "button",
      { type: "button", class: "primary", disabled: !ctx.canWrite, onclick: () => showForm() },
      "Connect Slack",
    );
    replace(
      body,
      h(
        "p",
        {},
        "Connect a Slack bot token, user token or incoming webhook, choose the channels, and Medulla posts each " +
          "upgrade step there: scans, schedules, executions and failures, coloured by risk.",
      ),
      ctx.canWrite
        ? null
        : h("p", { class: "notice" }, "This token cannot change the integration (integration:write)."),
      h("div", { class: "actions" }, connect),
    );
    firstRender();
    if (focus) connect.focus();
  }

  function showForm() {
    const form = configForm({
      api: ctx.api,
      base: ctx.base,
      view,
      onSaved: (saved) => {
        const first = !view;
        view = saved;
        showConnected();
        live.textContent = first ? "Slack is connected." : "Settings saved.";
        // The card's heading, so what follows is read from the top: the method, the credential, the Slack team.
        const heading = el.querySelector("h2") as HTMLElement;
        heading.tabIndex = -1;
        heading.focus();
        ctx.onChange(true);
      },
      onCancel: () => (view ? showConnected(true) : showNotConnected(true)),
    });
    replace(body, h("h3", { class: "form-title", tabindex: "-1" }, view ? "Slack settings" : "Connect Slack"), form.el);
    form.focus();
  }

  function showConnected(focusEdit = false) {
    const v = view as IntegrationView;
    setStatus(true);
    const results = h("div", { class: "test-results", "aria-live": "polite", tabindex: "-1" });
    const confirmBox = h("div", { class: "confirm", hidden: true });
    const testButton = h("button", { type: "button", class: "primary", disabled: !ctx.canWrite }, "Test Integration");
    const editButton = h(
      "button",
      { type: "button", class: "secondary", disabled: !ctx.canWrite, onclick: () => showForm() },
      "Edit settings",
    );
    const disconnectButton = h("button", { type: "button", class: "danger", disabled: !ctx.canWrite }, "Disconnect");

    /** The results of one test: a heading that sums them up and a line per channel, redrawn as pending ones settle. */
    const drawResults = (all: TestResult[]) => {
      const failed = all.filter((x) => x.status === "failed").length;
      const pending = all.filter((x) => x.status === "pending").length;
      const channels = `${all.length} channel${all.length === 1 ? "" : "s"}`;
      const of = (n: number) => `${n} of ${channels}`;
      const summary = [
        ...(failed ? [`${of(failed)} failed`] : []),
        ...(pending ? [`${of(pending)} still queued`] : []),
      ];
      const heading = results.querySelector("h3");
      const hadFocus = !!heading && heading === document.activeElement;
      replace(
        results,
        h(
          "h3",
          { tabindex: "-1" },
          summary.length ? `Test message: ${summary.join(", ")}` : `Test message delivered to ${channels}`,
        ),
        h(
          "ul",
          { class: "results" },
          ...all.map((x) =>
            h(
              "li",
              { class: `result result-${x.status}` },
              h("span", { class: "channel-name" }, x.channel),
              h("span", { class: `badge ${TEST_BADGE[x.status].cls}` }, TEST_BADGE[x.status].text),
              x.error ? h("code", {}, x.error) : null,
              x.hint ? h("p", { class: "hint-box" }, ...hintText(x.hint)) : null,
            ),
          ),
        ),
      );
      if (hadFocus) (results.querySelector("h3") as HTMLElement).focus();
    };

    /**
     * A channel still queued when the API answered is followed until its test message settles (a round every 2 s, for
     * up to two minutes), and its line then says what happened, as the log does.
     */
    const followResults = async (all: TestResult[]) => {
      const until = Date.now() + 120_000;
      while (all.some((x) => x.status === "pending") && Date.now() < until && results.isConnected) {
        await new Promise((r) => setTimeout(r, 2_000));
        let changed = false;
        try {
          all = await Promise.all(
            all.map(async (x) => {
              if (x.status !== "pending") return x;
              const n = await ctx.api.call<NotificationView>("GET", `${ctx.base}/notifications/${x.notification_id}`);
              if (n.status === "pending") return x;
              changed = true;
              return {
                channel: x.channel,
                status: n.status,
                ...(n.error ? { error: n.error } : {}),
                ...(n.hint ? { hint: n.hint } : {}),
                notification_id: x.notification_id,
              };
            }),
          );
        } catch {
          return; // The API could not be asked: the log and its Refresh still have the outcome.
        }
        if (changed && results.isConnected) {
          drawResults(all);
          await refreshView();
        }
      }
    };

    testButton.addEventListener("click", async () => {
      if (isBusy(testButton)) return;
      // The focus stays on it while the channels are tried (up to 20 s).
      const done = markBusy(testButton, "Sending…");
      // What would take the results away meanwhile waits for them.
      editButton.disabled = true;
      disconnectButton.disabled = true;
      replace(results, h("p", { class: "muted" }, "Sending the test message to each channel…"));
      try {
        const r = await ctx.api.call<{ results: TestResult[] }>("POST", `${ctx.base}/integrations/slack/test`);
        drawResults(r.results);
        ctx.onChange(false);
        await refreshView();
        void followResults(r.results);
      } catch (err) {
        replace(results, h("p", { class: "error", role: "alert" }, (err as Error).message));
      } finally {
        done();
        editButton.disabled = !ctx.canWrite;
        disconnectButton.disabled = !ctx.canWrite;
        // The answer takes the focus from the button (its heading, or the error).
        const answer = (results.querySelector("h3") as HTMLElement | null) ?? results;
        if (document.activeElement === testButton || document.activeElement === document.body) answer.focus();
      }
    });

    disconnectButton.addEventListener("click", () => {
      const confirm = h("button", { type: "button", class: "danger solid" }, "Confirm");
      const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
      replace(
        confirmBox,
        h(
          "p",
          { id: "confirm-text" },
          "Disconnect Slack? The credential is erased from the database, pending notifications fail as " +
            "not_connected, and nothing more is sent until you connect again.",
        ),
        h("div", { class: "actions" }, confirm, cancel),
      );
      confirmBox.setAttribute("role", "group");
      confirmBox.setAttribute("aria-labelledby", "confirm-text");
      confirmBox.hidden = false;
      cancel.addEventListener("click", () => {
        confirmBox.hidden = true;
        disconnectButton.focus();
      });
      // Escape is Cancel, as in any dialog.
      confirmBox.onkeydown = (e) => {
        if (e.key === "Escape") cancel.click();
      };
      confirm.addEventListener("click", async () => {
        confirm.disabled = true;
        try {
          await ctx.api.call("DELETE", `${ctx.base}/integrations/slack`);
          view = null;
          showNotConnected(true);
          live.textContent = "Slack is disconnected; the credential was erased.";
          ctx.onChange(true);
        } catch (err) {
          confirm.disabled = false;
          replace(results, h("p", { class: "error", role: "alert" }, (err as Error).message));
          focusIfLost(confirm);
        }
      });
      confirm.focus();
    });

    const slack = v.slack;
    replace(
      body,
      h(
        "dl",
        { class: "facts" },
        ...fact("Method", METHOD_LABEL[v.method]),
        ...fact("Credential", h("code", {}, v.credential_hint)),
        ...fact(
          "Slack workspace",
          slack
            ? safeLink(slack.url, slack.team)
            : v.method === "webhook"
              ? "Not known for a webhook"
              : "Not known yet: Slack names it when a new token is saved",
          slack ? h("span", { class: "muted" }, ` ${slack.team_id}`) : null,
        ),
        ...fact(
          "Posts as",
          slack ? `${slack.user} ` : "—",
          slack ? h("span", { class: "muted" }, slack.user_id) : null,
        ),
        ...fact(
          "Receive notifications",
          h("span", { class: `badge ${v.enabled ? "badge-ok" : "badge-unknown"}` }, v.enabled ? "On" : "Off"),
        ),
        ...fact("Upgrade threads", v.method === "webhook" ? "Not for webhooks" : v.threads === false ? "Off" : "On"),
        ...fact("Conditions", describeConditions(v.conditions)),
      ),
      h("h3", { tabindex: "-1" }, `Channels (${v.channels.length})`),
      h("ul", { class: "channels" }, ...v.channels.map(channelHealth)),
      ctx.canWrite
        ? null
        : h(
            "p",
            { class: "notice" },
            "This token can see the integration but not test or change it (integration:write).",
          ),
      h("div", { class: "actions" }, testButton, editButton, disconnectButton),
      confirmBox,
      results,
    );
    firstRender();
    if (focusEdit) editButton.focus();
  }

  /** Each channel's health again, in place (after a test, a retry, a refresh of the log). */
  async function refreshView() {
    if (!view) return;
    try {
      view = await ctx.api.call<IntegrationView>("GET", `${ctx.base}/integrations/slack`);
    } catch {
      return;
    }
    const channels = body.querySelector("ul.channels");
    if (channels && view) replace(channels, ...view.channels.map(channelHealth));
  }

  /** Shows the integration; `early` is a request for it already on its way (a reload with a known workspace). */
  async function load(early?: Promise<IntegrationView>) {
    setStatus(null);
    replace(body, h("p", { class: "muted", role: "status" }, "Loading the Slack integration…"));
    if (!ctx.canRead) {
      replace(body, h("p", { class: "notice" }, "This token cannot read the integration (integration:read)."));
      return firstRender();
    }
    try {
      view = await (early ?? ctx.api.call<IntegrationView>("GET", `${ctx.base}/integrations/slack`));
      showConnected();
    } catch (err) {
      if (err instanceof ApiError && err.code === "not_connected") {
        view = null;
        return showNotConnected();
      }
      replace(
        body,
        h("p", { class: "error", role: "alert" }, `Could not load the integration: ${(err as Error).message}`),
        h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Try again"),
      );
      firstRender();
    }
  }

  return { el, load, refreshHealth: refreshView, current: () => view };
}
