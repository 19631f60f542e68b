import { apiWith, ApiError, type Api, type IntegrationView, type Me } from "./api";
import { focusIfLost, h, refreshTimes, replace, uid } from "./dom";
import { notificationLog } from "./log";
import { previewPanel } from "./preview";
import { slackCard } from "./slack-card";

/** The token lives in this tab's sessionStorage only: gone when the tab closes, never in localStorage or a cookie. */
const TOKEN_KEY = "medulla.console.token";
/** Not a secret: lets a reload ask for the integration while /v1/me is still on its way. */
const WORKSPACE_KEY = "medulla.console.workspace";
const SESSION_ENDED = "Your session ended: the token is no longer valid. Sign in again.";
const main = document.getElementById("main") as HTMLElement;
const session = document.getElementById("session") as HTMLElement;

function signInScreen(opts: { error?: string } = {}) {
  replace(session);
  const id = uid("token");
  const errorId = uid("token-error");
  const input = h("input", {
    id,
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": `${id}-hint${opts.error ? ` ${errorId}` : ""}`,
    "aria-invalid": opts.error ? "true" : null,
  });
  const error = h("p", { id: errorId, class: "field-error", hidden: !opts.error }, opts.error ?? "");
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "card sign-in", novalidate: true, "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in to Integrations"),
    h(
      "p",
      {},
      "Use a workspace API token (mdl_…). It is kept in this browser tab only and sent to this service's API, " +
        "nowhere else.",
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, "API token"),
      input,
      h(
        "span",
        { id: `${id}-hint`, class: "hint" },
        "npm start prints an admin token; a workspace's token comes from POST /v1/workspaces.",
      ),
      error,
    ),
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) {
      signInScreen({ error: "Paste your API token first." });
      return;
    }
    button.disabled = true;
    button.textContent = "Signing in…";
    await signIn(token);
  });
  replace(main, form);
  input.focus();
}

function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(WORKSPACE_KEY);
}

/** Counts sign-ins and sign-outs: a session's requests can end only that session, and only once. */
let sessions = 0;
function signOut(opts: { error?: string } = {}) {
  sessions++;
  forget();
  signInScreen(opts);
}

async function signIn(token: string, restoring = false) {
  let session = -1;
  // The token stopped working while signed in (revoked, say): every later action would only fail, so it is
  // forgotten and the sign-in form says why.
  const api = apiWith(token, () => {
    if (session === sessions) signOut({ error: SESSION_ENDED });
  });
  const known = restoring ? sessionStorage.getItem(WORKSPACE_KEY) : null;
  const early = known ? api.call<IntegrationView>("GET", `/v1/workspaces/${known}/integrations/slack`) : undefined;
  early?.catch(() => {});
  let me: Me;
  try {
    me = await api.call<Me>("GET", "/v1/me");
  } catch (err) {
    forget();
    const message =
      err instanceof ApiError && err.code === "unauthorized"
        ? restoring
          ? SESSION_ENDED
          : "This token is not valid: it is unknown or has been revoked."
        : (err as Error).message;
    signInScreen({ error: message });
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  session = ++sessions;
  if (me.admin || !me.workspace_id) adminScreen(api, me);
  else {
    sessionStorage.setItem(WORKSPACE_KEY, me.workspace_id);
    workspaceScreen(api, me, me.workspace_id === known ? early : undefined);
    // Signing in replaced the form that had the focus: it goes on to the page's heading, not back to the top.
    // A reload leaves it where the browser puts it.
    if (!restoring) (main.querySelector("h1") as HTMLElement).focus();
  }
}

function signOutButton() {
  return h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: () => signOut(),
    },
    "Sign out",
  );
}

/** The admin token has no workspace: it can make one, whose token then signs in here. */
function adminScreen(api: Api, _me: Me) {
  replace(session, h("span", { class: "who" }, "Admin"), signOutButton());
  const nameId = uid("ws-name");
  const name = h("input", { id: nameId, type: "text", autocomplete: "off", value: "platform", required: true });
  const out = h("div", { "aria-live": "polite" });
  const create = h("button", { type: "submit", class: "primary" }, "Create workspace");
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "admin-title" },
    h("h1", { id: "admin-title" }, "Signed in as admin"),
    h(
      "p",
      {},
      "The admin token manages workspaces; the integration belongs to a workspace. Create one and continue with " +
        "its token (shown once: keep it somewhere safe).",
    ),
    h("div", { class: "field" }, h("label", { for: nameId }, "Workspace name"), name),
    h("div", { class: "actions" }, create),
    out,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    create.disabled = true;
    try {
      const ws = await api.call<{ workspace_id: string; name: string; token: string }>("POST", "/v1/workspaces", {
        name: name.value.trim() || "platform",
      });
      const use = h("button", { type: "button", class: "primary" }, `Continue as ${ws.name}`);
      use.addEventListener("click", () => void signIn(ws.token));
      replace(
        out,
        h("p", {}, `Workspace ${ws.workspace_id} created. Its token (shown only now):`),
        h("pre", { class: "token", tabindex: "0", "aria-label": "Workspace token" }, ws.token),
        h("div", { class: "actions" }, use),
      );
      use.focus();
    } catch (err) {
      replace(out, h("p", { class: "error", role: "alert" }, (err as Error).message));
    } finally {
      create.disabled = false;
      focusIfLost(create);
    }
  });
  replace(main, form);
  name.focus();
}

function workspaceScreen(api: Api, me: Me, early?: Promise<IntegrationView>) {
  const ws = me.workspace_id as string;
  const base = `/v1/workspaces/${ws}`;
  const can = (scope: string) => me.scopes.includes(scope);
  replace(
    session,
    h("span", { class: "who" }, h("span", { class: "muted" }, "Workspace "), h("code", {}, ws)),
    signOutButton(),
  );
  const log = notificationLog({
    api,
    base,
    canRead: can("notifications:read"),
    canRetry: can("integration:write"),
    onOutcome: () => void card.refreshHealth(),
  });
  const card = slackCard({
    api,
    base,
    canRead: can("integration:read"),
    canWrite: can("integration:write"),
    // What shows the integration's state follows it: the log after anything, the preview after new settings.
    onChange: (settings) => {
      void log.load();
      if (settings) preview.refresh();
    },
    onFirstRender: () => {
      performance.mark("console:card-rendered");
      document.body.dataset.ready = "true";
      // The log after the card: the card is what a person looks at first.
      void log.load();
    },
  });
  const preview = previewPanel({
    api,
    base,
    canPreview: can("events:write"),
    appName: () => card.current()?.slack?.user ?? "Medulla",
  });
  replace(
    main,
    h(
      "div",
      { class: "page-head" },
      h("h1", { tabindex: "-1" }, "Integrations"),
      h("p", { class: "muted" }, "Where Medulla sends news of your Kubernetes upgrades."),
    ),
    card.el,
    log.el,
    preview.el,
  );
  void card.load(early);
}

// Relative times ("20 s ago") stay true while the page is open.
setInterval(() => refreshTimes(), 10_000);

const stored = sessionStorage.getItem(TOKEN_KEY);
if (stored) void signIn(stored, true);
else signInScreen();
