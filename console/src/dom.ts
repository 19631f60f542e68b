/**
 * The console's one way to make DOM: elements with attributes and children, text always as text nodes. Nothing here
 * (or anywhere in the console) assigns innerHTML, so event and Slack text can never become markup.
 */
export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === "class") el.className = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: (Child | Child[])[]) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === "string" || typeof child === "number" ? text(String(child)) : child);
  }
}

export const text = (s: string) => document.createTextNode(s);

/** Replaces an element's children. */
export function replace(el: Element, ...children: (Child | Child[])[]) {
  el.replaceChildren();
  append(el, ...children);
}

/**
 * Moves the focus to `el` (which must be focusable: a control, or `tabindex="-1"`) when it has nowhere to be: on
 * <body>, because the control that had it was disabled while it worked or was replaced. Never takes the focus from
 * where the person has since put it.
 */
export function focusIfLost(el: HTMLElement) {
  const active = document.activeElement;
  if (!active || active === document.body || !active.isConnected) el.focus();
}

let counter = 0;
/** A document-unique id, for label/aria-describedby links. */
export const uid = (prefix: string) => `${prefix}-${++counter}`;

/** A link, only to http(s): anything else (javascript:, data:) is shown as text. */
export function safeLink(href: string, label: Child | Child[], attrs: Attrs = {}): HTMLElement {
  const protocol = URL.canParse(href) ? new URL(href).protocol : "";
  const ok = protocol === "https:" || protocol === "http:";
  return ok
    ? h("a", { href, rel: "noopener noreferrer", target: "_blank", ...attrs }, label)
    : h("span", { class: "sl-link-text" }, label);
}

/** "2 min ago", "just now", or the date. */
function relativeTime(at: Date): string {
  const s = Math.round((Date.now() - at.getTime()) / 1000);
  return s < 10
    ? "just now"
    : s < 60
      ? `${s} s ago`
      : s < 3600
        ? `${Math.floor(s / 60)} min ago`
        : s < 86400
          ? `${Math.floor(s / 3600)} h ago`
          : at.toLocaleDateString();
}

/** A timestamp as relativeTime says it (kept current by refreshTimes); the full time is in the element's title. */
export function timeEl(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return "—";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return h("time", { datetime: iso, title: at.toLocaleString() }, relativeTime(at));
}

/**
 * Says every shown time again, as of now: rows drawn at different moments then agree with their order, and "just
 * now" does not stay.
 */
export function refreshTimes(root: ParentNode = document) {
  for (const t of root.querySelectorAll<HTMLTimeElement>("time[datetime]")) {
    const at = new Date(t.dateTime);
    const rel = Number.isNaN(at.getTime()) ? t.textContent : relativeTime(at);
    if (t.textContent !== rel) t.textContent = rel;
  }
}

/** A card: a section named by its heading, with a one-line description, an optional icon and badge, then content. */
export function card(
  opts: { id: string; title: string; subtitle: string; icon?: Node; badge?: Node; class?: string },
  ...content: Child[]
): HTMLElement {
  return h(
    "section",
    { class: `card ${opts.class ?? ""}`.trim(), "aria-labelledby": opts.id },
    h(
      "header",
      { class: "card-head" },
      opts.icon,
      h("div", {}, h("h2", { id: opts.id }, opts.title), h("p", { class: "muted" }, opts.subtitle)),
      opts.badge,
    ),
    ...content,
  );
}

/** A hint's `backticked` parts (a command to type, such as `/invite @medulla`) as code; the rest as text. */
export function hintText(s: string): Node[] {
  return s.split(/`([^`]+)`/).map((part, i) => (i % 2 ? h("code", {}, part) : text(part)));
}

/**
 * Marks a button at work with `label` as its text: busy (`aria-disabled`, `aria-busy`) rather than disabled, so the
 * focus stays on it while it works. Returns what puts it back; isBusy tells a second press to wait.
 */
export function markBusy(button: HTMLButtonElement, label: string): () => void {
  const idle = button.textContent;
  button.setAttribute("aria-disabled", "true");
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  return () => {
    button.removeAttribute("aria-disabled");
    button.removeAttribute("aria-busy");
    button.textContent = idle;
  };
}

export const isBusy = (button: HTMLButtonElement) => button.getAttribute("aria-busy") === "true";
