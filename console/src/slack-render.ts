import { h, safeLink, text } from "./dom";

/**
 * A Slack message drawn the way Slack shows it (top-level text, then the attachment: colour bar, header, section
 * fields, divider, View in Dashboard button, context), from the exact payload the API would send. Everything is
 * built as text nodes: mrkdwn is parsed into elements, never handed to the HTML parser.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" ? v : "");

/** The shortcodes the service's messages use, drawn as Slack draws them (others stay as typed). */
const EMOJI: Record<string, string> = {
  mag: "🔍",
  calendar: "📅",
  arrow_forward: "▶️",
  white_check_mark: "✅",
  x: "❌",
  warning: "⚠️",
  rotating_light: "🚨",
  test_tube: "🧪",
};

/** Slack's escaping reversed, for display (the payload carries &lt; &gt; &amp; for event text), and emoji. */
const unescape = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m);

/** `<url|label>`, `<@U…>`, `<!here>`, `<!subteam^S…>` become a link or a mention chip; the rest is inline text. */
function mrkdwn(source: string): Node[] {
  const out: Node[] = [];
  const re = /<([^<>]+)>/g;
  let last = 0;
  for (const m of source.matchAll(re)) {
    out.push(...inline(source.slice(last, m.index)));
    const inner = m[1] as string;
    const [target = "", label] = inner.split("|", 2);
    if (target.startsWith("@")) out.push(h("span", { class: "sl-mention" }, `@${target.slice(1)}`));
    else if (target.startsWith("!subteam^")) out.push(h("span", { class: "sl-mention" }, `@${target.slice(9)}`));
    else if (target.startsWith("!")) out.push(h("span", { class: "sl-mention" }, `@${target.slice(1)}`));
    else if (target.startsWith("#")) out.push(h("span", { class: "sl-mention" }, target));
    else out.push(safeLink(unescape(target), unescape(label ?? target), { class: "sl-link" }));
    last = (m.index ?? 0) + m[0].length;
  }
  out.push(...inline(source.slice(last)));
  return out;
}

/** *bold*, _italic_, ~strike~, `code` and line breaks. */
function inline(source: string): Node[] {
  const out: Node[] = [];
  const re = /(`[^`\n]+`)|(\*[^*\n]+\*)|(_[^_\n]+_)|(~[^~\n]+~)|(\n)/g;
  let last = 0;
  for (const m of source.matchAll(re)) {
    if ((m.index ?? 0) > last) out.push(text(unescape(source.slice(last, m.index))));
    const t = m[0];
    const body = unescape(t.slice(1, -1));
    if (m[1]) out.push(h("code", {}, body));
    else if (m[2]) out.push(h("strong", {}, body));
    else if (m[3]) out.push(h("em", {}, body));
    else if (m[4]) out.push(h("s", {}, body));
    else out.push(h("br"));
    last = (m.index ?? 0) + t.length;
  }
  if (last < source.length) out.push(text(unescape(source.slice(last))));
  return out;
}

function textObject(t: unknown): Node[] {
  if (!isObj(t)) return [];
  const value = str(t.text);
  return t.type === "mrkdwn" ? mrkdwn(value) : [text(unescape(value))];
}

function block(b: unknown): HTMLElement | null {
  if (!isObj(b)) return null;
  switch (b.type) {
    case "header":
      return h("p", { class: "sl-header" }, ...textObject(b.text));
    case "section": {
      const fields = Array.isArray(b.fields) ? b.fields : [];
      return h(
        "div",
        { class: "sl-section" },
        b.text ? h("p", { class: "sl-text" }, ...textObject(b.text)) : null,
        fields.length ? h("div", { class: "sl-fields" }, ...fields.map((f) => h("p", {}, ...textObject(f)))) : null,
      );
    }
    case "divider":
      return h("hr", { class: "sl-divider" });
    case "actions": {
      const elements = Array.isArray(b.elements) ? b.elements : [];
      return h(
        "div",
        { class: "sl-actions" },
        ...elements.filter(isObj).map((e) => safeLink(str(e.url), textObject(e.text), { class: "sl-button" })),
      );
    }
    case "context": {
      const elements = Array.isArray(b.elements) ? b.elements : [];
      return h("p", { class: "sl-context" }, ...elements.flatMap((e) => [...textObject(e), text(" ")]));
    }
    default:
      return h("p", { class: "muted small" }, `(${str(b.type) || "unknown"} block)`);
  }
}

const HEX = /^#[0-9a-fA-F]{6}$/;

export function slackMessage(payload: Obj, appName: string): HTMLElement {
  const attachments = Array.isArray(payload.attachments) ? payload.attachments.filter(isObj) : [];
  return h(
    "div",
    { class: "sl-message" },
    h("div", { class: "sl-avatar", "aria-hidden": "true" }, appName.slice(0, 1).toUpperCase()),
    h(
      "div",
      { class: "sl-content" },
      h("p", { class: "sl-meta" }, h("strong", {}, appName), h("span", { class: "sl-app" }, "APP")),
      payload.text ? h("p", { class: "sl-text" }, ...mrkdwn(str(payload.text))) : null,
      ...attachments.map((a) => {
        const bar = h("div", { class: "sl-bar", "aria-hidden": "true" });
        // CSSOM, not a style attribute: the CSP allows no inline styles. Only a plain hex colour is taken.
        const color = str(a.color);
        if (HEX.test(color)) bar.style.backgroundColor = color;
        const blocks = Array.isArray(a.blocks) ? a.blocks : [];
        return h(
          "div",
          { class: "sl-attachment", "data-color": HEX.test(color) ? color.toUpperCase() : "" },
          bar,
          h("div", { class: "sl-blocks" }, ...blocks.map(block)),
        );
      }),
    ),
  );
}
