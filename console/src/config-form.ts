import {
  type Api,
  ApiError,
  type ChannelView,
  type Condition,
  type IntegrationView,
  type Method,
  METHOD_LABEL,
  otherDetails,
  SEVERITIES,
} from "./api";
import { conditionsEditor, type ConditionsEditor } from "./conditions";
import { h, isBusy, markBusy, replace, uid } from "./dom";

const MAX_CHANNELS = 20;
const MAX_MENTIONS = 10;
const CHANNEL = /^#[a-z0-9_.-]{1,80}$|^[CG][A-Z0-9]{8,20}$/;
const MENTION = /^([UWS][A-Z0-9]{2,20}|here|channel)$/;
const FIELD_OF: Record<Method, string> = { bot_token: "bot_token", user_token: "user_token", webhook: "webhook_url" };
const PLACEHOLDER: Record<Method, string> = {
  bot_token: "xoxb-…",
  webhook: "https://hooks.slack.com/services/…",
  user_token: "xoxp-…",
};
const METHOD_HINT: Record<Method, string> = {
  bot_token: "Posts as your Slack app (chat:write); invite it to each channel. Recommended.",
  webhook: "Posts to the one channel the webhook was made for. No threads.",
  user_token: "Posts as the person who installed the app (chat:write).",
};
/** Why no channel can be added (or, for a webhook given several, why some must go), in the console's words. */
const LIMIT = {
  full: `${MAX_CHANNELS} channels is the most a workspace can have. Remove one to add another.`,
  webhook: "A webhook posts to the one channel it was made for: remove this entry to name another.",
  webhookMany: "A webhook posts to its own channel: keep one channel, or use a bot or user token for more.",
};
/** Errors about the credential, shown next to its field (the preflight's among them). */
const CREDENTIAL_CODES = new Set([
  "credential_rejected",
  "missing_scope",
  "invalid_bot_token",
  "invalid_user_token",
  "invalid_webhook_url",
  "invalid_credentials",
  "slack_unavailable",
]);

interface ChannelDraft {
  name: string;
  conditions: ConditionsEditor;
  mentions: HTMLInputElement;
  mentionOn: HTMLInputElement[];
  el: HTMLElement;
}

/** Shows (or clears) a message tied to a field by aria-describedby, with aria-invalid while it stands. */
function fieldError(field: HTMLElement, slot: HTMLElement) {
  return (message: string | null) => {
    const ids = (field.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id && id !== slot.id);
    if (message) {
      slot.textContent = message;
      slot.hidden = false;
      field.setAttribute("aria-invalid", "true");
      ids.push(slot.id);
    } else {
      slot.textContent = "";
      slot.hidden = true;
      field.removeAttribute("aria-invalid");
    }
    if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
    else field.removeAttribute("aria-describedby");
  };
}

/**
 * The configuration panel: method and credential, channels (each with its own conditions and mentions), conditions
 * for all channels, threads and Receive notifications. `Connect` the first time, `Save` later; the API's answer
 * (the preflight's error included) is shown where it belongs.
 */
export function configForm(opts: {
  api: Api;
  base: string;
  view: IntegrationView | null;
  onSaved(view: IntegrationView): void;
  onCancel(): void;
}): { el: HTMLFormElement; focus(): void } {
  const { view } = opts;
  let method: Method = view?.method ?? "bot_token";

  // Method and credential.
  const radios = (["bot_token", "webhook", "user_token"] as Method[]).map((m) => {
    const id = uid("method");
    const hintId = uid("method-hint");
    const input = h("input", {
      type: "radio",
      name: "method",
      id,
      value: m,
      checked: m === method,
      "aria-describedby": hintId,
    });
    input.addEventListener("change", () => {
      if (input.checked) setMethod(m);
    });
    return {
      m,
      input,
      el: h(
        "div",
        { class: "radio" },
        input,
        h("label", { for: id }, METHOD_LABEL[m]),
        h("span", { id: hintId, class: "hint" }, METHOD_HINT[m]),
      ),
    };
  });
  const credId = uid("credential");
  const credHintId = uid("credential-hint");
  const credLabel = h("label", { for: credId });
  const credential = h("input", {
    id: credId,
    type: "text",
    class: "secret",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": credHintId,
  });
  const credHint = h("p", { id: credHintId, class: "hint" });
  const credErrorSlot = h("p", { id: uid("credential-error"), class: "field-error", hidden: true });
  const credError = fieldError(credential, credErrorSlot);

  // Channels.
  const channelId = uid("channel");
  const channelHintId = uid("channel-hint");
  const channelInput = h("input", {
    id: channelId,
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "#upgrades",
    "aria-describedby": channelHintId,
  });
  const channelErrorSlot = h("p", { id: uid("channel-error"), class: "field-error", hidden: true });
  const channelError = fieldError(channelInput, channelErrorSlot);
  const addButton = h("button", { type: "button", class: "secondary" }, "Add");
  const channelHint = h("p", { id: channelHintId, class: "hint" });
  const limitNote = h("p", { class: "notice limit-note", tabindex: "-1", hidden: true });
  const channelList = h("ul", { class: "channel-edit-list" });
  const channels: ChannelDraft[] = [];

  const renderChannels = () => {
    const max = method === "webhook" ? 1 : MAX_CHANNELS;
    // At the limit the field and Add are off, and this says why and what to do.
    const limit =
      channels.length < max
        ? null
        : method !== "webhook"
          ? LIMIT.full
          : channels.length > 1
            ? LIMIT.webhookMany
            : LIMIT.webhook;
    limitNote.textContent = limit ?? "";
    limitNote.hidden = !limit;
    replace(
      channelList,
      channels.length
        ? channels.map((c) => c.el)
        : h("li", { class: "muted" }, "No channel yet: Medulla posts to #general."),
    );
    channelHint.textContent =
      method === "webhook"
        ? "One entry at most, named for the log."
        : `Up to ${MAX_CHANNELS} channels: a name such as #upgrades, or a channel ID (C…). ${channels.length} of ${max} used.`;
    addButton.disabled = channels.length >= max;
    channelInput.disabled = channels.length >= max;
  };

  const addChannel = (c: ChannelView) => {
    const mentionsId = uid("mentions");
    const mentions = h("input", {
      id: mentionsId,
      type: "text",
      autocomplete: "off",
      spellcheck: "false",
      value: (c.mentions ?? []).join(", "),
      placeholder: "U0123ABCD, S0456EFGH, here",
      "aria-describedby": `${mentionsId}-hint`,
    });
    const on = new Set(c.mention_on ?? ["critical"]);
    const mentionOn = SEVERITIES.map((s) => h("input", { type: "checkbox", value: s, checked: on.has(s), id: uid(s) }));
    const conditions = conditionsEditor({
      legend: `Conditions for ${c.name}`,
      hint: "Only events meeting every condition are posted to this channel (besides the conditions for all).",
      initial: c.conditions,
    });
    const removeButton = h(
      "button",
      { type: "button", class: "icon-button", "aria-label": `Remove ${c.name}` },
      h("span", { "aria-hidden": "true" }, "×"),
    );
    const draft: ChannelDraft = {
      name: c.name,
      conditions,
      mentions,
      mentionOn,
      el: h(
        "li",
        { class: "channel-edit" },
        h("div", { class: "channel-edit-head" }, h("span", { class: "channel-name" }, c.name), removeButton),
        h(
          "details",
          { open: c.conditions.length > 0 || (c.mentions ?? []).length > 0 },
          h("summary", {}, `Conditions and mentions for ${c.name}`),
          conditions.el,
          h(
            "div",
            { class: "field" },
            h("label", { for: mentionsId }, `Mentions in ${c.name}`),
            mentions,
            h(
              "span",
              { id: `${mentionsId}-hint`, class: "hint" },
              "Slack user ids (U…, W…), user groups (S…), here or channel; up to 10, separated by commas.",
            ),
          ),
          h(
            "fieldset",
            { class: "inline-checks" },
            h("legend", {}, "Mention when the severity is"),
            ...mentionOn.map((box) => h("span", { class: "check" }, box, h("label", { for: box.id }, box.value))),
          ),
        ),
      ),
    };
    removeButton.addEventListener("click", () => {
      channels.splice(channels.indexOf(draft), 1);
      renderChannels();
      channelInput.focus();
    });
    channels.push(draft);
    renderChannels();
  };

  const tryAdd = () => {
    let name = channelInput.value.trim();
    if (!name) return channelError("Type a channel name first, e.g. #upgrades.");
    if (!name.startsWith("#") && !/^[CG][A-Z0-9]{8,}$/.test(name)) name = `#${name}`;
    if (!CHANNEL.test(name)) {
      return channelError("Use # and lowercase letters, digits, - _ or . (at most 80), or a channel ID (C…).");
    }
    if (channels.some((c) => c.name === name)) return channelError(`${name} is already in the list.`);
    channelError(null);
    addChannel({ name, conditions: [] });
    channelInput.value = "";
    // The last one the list can take turns the field off: the focus goes to the note saying so.
    (channelInput.disabled ? limitNote : channelInput).focus();
  };
  addButton.addEventListener("click", tryAdd);
  channelInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      tryAdd();
    }
  });

  const allConditions = conditionsEditor({
    legend: "Conditions for all channels",
    hint: "Every condition must hold. Keys are the event's labels and the built-in type, severity and cluster.",
    initial: view?.conditions ?? [],
  });

  // Options.
  const threadsId = uid("threads");
  // The tokens' choice. A webhook's false is forced, not chosen: a token that replaces it starts from the default, on.
  let threadsChoice = view && view.method !== "webhook" ? view.threads !== false : true;
  const threads = h("input", { type: "checkbox", id: threadsId, "aria-describedby": `${threadsId}-hint` });
  threads.addEventListener("change", () => {
    if (method !== "webhook") threadsChoice = threads.checked;
  });
  const threadsHint = h("span", { id: `${threadsId}-hint`, class: "hint" });
  const enabledId = uid("enabled");
  const enabled = h("input", {
    type: "checkbox",
    role: "switch",
    id: enabledId,
    class: "switch",
    checked: view?.enabled ?? true,
    "aria-describedby": `${enabledId}-hint`,
  });

  const summary = h("div", { class: "form-error", role: "alert", hidden: true, tabindex: "-1" });
  const submit = h("button", { type: "submit", class: "primary" }, view ? "Save" : "Connect");
  const cancel = h("button", { type: "button", class: "secondary", onclick: () => opts.onCancel() }, "Cancel");

  function setMethod(m: Method) {
    method = m;
    credLabel.textContent = METHOD_LABEL[m];
    credential.placeholder = PLACEHOLDER[m];
    credential.value = "";
    credError(null);
    const keeping = view && view.method === m;
    credHint.textContent = keeping
      ? `Leave empty to keep the current one (${view.credential_hint}).`
      : m === "webhook"
        ? "Shown only now: the service stores it encrypted and shows only its last 4 characters."
        : "Checked with Slack (auth.test) when you save, then stored encrypted; only its last 4 characters are shown.";
    // A webhook cannot thread: the box shows it off (as the API's view will) and the tokens' choice comes back after.
    threads.disabled = m === "webhook";
    threads.checked = m !== "webhook" && threadsChoice;
    threadsHint.textContent =
      m === "webhook"
        ? "A webhook cannot thread: each event is its own message."
        : "One thread per upgrade: a status message kept up to date, each step a reply.";
    renderChannels();
  }

  const form = h(
    "form",
    { class: "config", novalidate: true, "aria-label": view ? "Slack settings" : "Connect Slack" },
    summary,
    h(
      "fieldset",
      { class: "methods" },
      h("legend", {}, "How Medulla posts"),
      h("div", { class: "radios" }, ...radios.map((r) => r.el)),
      h("div", { class: "field" }, credLabel, credential, credHint, credErrorSlot),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Channels"),
      h(
        "div",
        { class: "field" },
        h("label", { for: channelId }, "Channel"),
        h("div", { class: "input-row" }, channelInput, addButton),
        channelHint,
        limitNote,
        channelErrorSlot,
      ),
      channelList,
    ),
    allConditions.el,
    h(
      "fieldset",
      {},
      h("legend", {}, "Delivery"),
      h("div", { class: "check" }, threads, h("label", { for: threadsId }, "Upgrade threads"), threadsHint),
      h(
        "div",
        { class: "check" },
        enabled,
        h("label", { for: enabledId }, "Receive notifications"),
        h(
          "span",
          { id: `${enabledId}-hint`, class: "hint" },
          "When off, events are still accepted and logged, and nothing is sent to Slack.",
        ),
      ),
    ),
    h("div", { class: "actions" }, submit, cancel),
  );

  for (const c of view?.channels ?? []) addChannel(c);
  setMethod(method);

  const showSummary = (message: string, details: ApiError["details"] = []) => {
    replace(
      summary,
      h("p", {}, message),
      details.length ? h("ul", {}, ...details.map((d) => h("li", {}, `${d.path || "body"}: ${d.message}`))) : null,
    );
    summary.hidden = false;
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    // Busy with the last one (the preflight can take a few seconds): one save at a time.
    if (isBusy(submit)) return;
    summary.hidden = true;
    credError(null);
    channelError(null);
    const body: Record<string, unknown> = {};
    const secret = credential.value.trim();
    if (secret) body[FIELD_OF[method]] = secret;
    else if (!view || view.method !== method) {
      credError(`Enter the ${METHOD_LABEL[method]} to ${view ? "switch to it" : "connect"}.`);
      credential.focus();
      return;
    }
    if (method === "webhook" && channels.length > 1) return limitNote.focus();
    const all = allConditions.read();
    if ("invalid" in all) return all.invalid.focus();
    const list: unknown[] = [];
    for (const c of channels) {
      const cond = c.conditions.read();
      if ("invalid" in cond) {
        (c.el.querySelector("details") as HTMLDetailsElement).open = true;
        return cond.invalid.focus();
      }
      const mentions = c.mentions.value
        .split(/[\s,]+/)
        .map((m) => m.trim())
        .filter(Boolean);
      const bad = mentions.find((m) => !MENTION.test(m));
      if (bad || mentions.length > MAX_MENTIONS) {
        (c.el.querySelector("details") as HTMLDetailsElement).open = true;
        showSummary(
          bad
            ? `${c.name}: ${bad} is not a Slack user id (U…/W…), user group id (S…), here or channel.`
            : `${c.name}: at most ${MAX_MENTIONS} mentions.`,
        );
        c.mentions.setAttribute("aria-invalid", "true");
        c.mentions.focus();
        return;
      }
      c.mentions.removeAttribute("aria-invalid");
      const mentionOn = c.mentionOn.filter((b) => b.checked).map((b) => b.value);
      const entry: Record<string, unknown> = { name: c.name };
      if (cond.conditions.length) entry.conditions = cond.conditions;
      if (mentions.length) Object.assign(entry, { mentions, mention_on: mentionOn });
      list.push(Object.keys(entry).length === 1 ? c.name : entry);
    }
    body.channels = list;
    body.conditions = all.conditions satisfies Condition[];
    body.enabled = enabled.checked;
    if (method !== "webhook") body.threads = threads.checked;
    // The focus stays on it while Slack is asked.
    const done = markBusy(submit, secret && method !== "webhook" ? "Checking with Slack…" : "Saving…");
    try {
      const saved = await opts.api.call<IntegrationView>("PUT", `${opts.base}/integrations/slack`, body);
      opts.onSaved(saved);
    } catch (err) {
      const e2 = err instanceof ApiError ? err : new ApiError(0, "error", String(err));
      if (CREDENTIAL_CODES.has(e2.code)) {
        credError(e2.message);
        credential.focus();
      } else if (e2.code === "too_many_channels" && !limitNote.hidden) {
        limitNote.focus(); // It says so already, in the console's words.
      } else if (e2.code === "invalid_channel" || e2.code === "too_many_channels") {
        channelError(
          e2.code === "too_many_channels" ? LIMIT[method === "webhook" ? "webhookMany" : "full"] : e2.message,
        );
        (channelInput.disabled ? limitNote : channelInput).focus();
      } else {
        showSummary(e2.message, otherDetails(e2));
        summary.focus();
      }
    } finally {
      done();
    }
  });

  return { el: form, focus: () => (radios.find((r) => r.input.checked)?.input ?? credential).focus() };
}
