import { type Api, ApiError, otherDetails, type PreviewMessage } from "./api";
import { card, focusIfLost, h, replace, uid } from "./dom";
import { SAMPLES } from "./samples";
import { slackMessage } from "./slack-render";

const SKIPPED: Record<string, string> = {
  not_connected: "Nothing would be sent: Slack is not connected. Connect it above to see each channel's message.",
  disabled: "Nothing would be sent: Receive notifications is off.",
  filtered: "Nothing would be sent: the event meets no channel's conditions.",
};

/**
 * Preview: an event (prefilled, editable JSON) through POST …/events/preview, each channel's payload drawn as Slack
 * would show it beside the JSON itself. Nothing is stored or sent.
 */
export function previewPanel(ctx: { api: Api; base: string; canPreview: boolean; appName(): string }) {
  const sampleId = uid("sample");
  const sample = h(
    "select",
    { id: sampleId },
    ...Object.keys(SAMPLES).map((t) => h("option", { value: t }, t.replace(/_/g, " "))),
    // Shown once the JSON is no longer the chosen example's; choosing an example again fills it in again.
    h("option", { value: "", disabled: true }, "Edited event"),
  );
  const eventId = uid("event");
  const hintId = uid("event-hint");
  const errorSlot = h("p", { id: uid("event-error"), class: "field-error", hidden: true });
  const editor = h("textarea", {
    id: eventId,
    rows: 14,
    spellcheck: "false",
    autocomplete: "off",
    class: "code",
    "aria-describedby": hintId,
  });
  let example = sample.value;
  /** The event whose messages the output shows: drawn again when the integration changes. */
  let drawn: unknown;
  const exampleText = () => JSON.stringify(SAMPLES[example], null, 2);
  const fill = () => {
    example = sample.value;
    editor.value = exampleText();
    setError(null);
  };
  sample.addEventListener("change", fill);
  editor.addEventListener("input", () => {
    sample.value = editor.value === exampleText() ? example : "";
  });
  const button = h("button", { type: "submit", class: "primary", disabled: !ctx.canPreview }, "Preview");
  const output = h("div", { class: "preview-output", "aria-live": "polite", tabindex: "-1" });

  const setError = (message: string | null) => {
    errorSlot.textContent = message ?? "";
    errorSlot.hidden = !message;
    if (message) {
      editor.setAttribute("aria-invalid", "true");
      editor.setAttribute("aria-describedby", `${hintId} ${errorSlot.id}`);
    } else {
      editor.removeAttribute("aria-invalid");
      editor.setAttribute("aria-describedby", hintId);
    }
  };
  fill();

  /** The event cannot be previewed: say why by the editor, and draw nothing that was not made from it. */
  const refuse = (message: string) => {
    setError(message);
    drawn = undefined;
    replace(output);
    editor.focus();
  };

  const form = h(
    "form",
    { class: "preview-form", novalidate: true, "aria-label": "Preview an event" },
    h("div", { class: "field inline" }, h("label", { for: sampleId }, "Example"), sample),
    h(
      "div",
      { class: "field" },
      h("label", { for: eventId }, "Event (JSON)"),
      editor,
      h(
        "span",
        { id: hintId, class: "hint" },
        "The body you would POST to …/events. Edit it freely: nothing is stored or sent.",
      ),
      errorSlot,
    ),
    ctx.canPreview ? null : h("p", { class: "notice" }, "This token cannot preview events (events:write)."),
    h("div", { class: "actions" }, button),
  );

  /** Asks the API what `event` becomes in each channel, and draws it. */
  async function show(event: unknown) {
    button.disabled = true;
    try {
      const r = await ctx.api.call<{ messages: PreviewMessage[]; skipped?: string }>(
        "POST",
        `${ctx.base}/events/preview`,
        event,
      );
      drawn = event;
      if (!r.messages.length) {
        replace(output, h("p", { class: "notice" }, SKIPPED[r.skipped ?? ""] ?? "Nothing would be sent."));
        return;
      }
      replace(
        output,
        h(
          "h3",
          { tabindex: "-1" },
          `${r.messages.length} message${r.messages.length === 1 ? "" : "s"}: what each channel would receive`,
        ),
        ...r.messages.map((m) =>
          h(
            "article",
            { class: "preview-message", "aria-label": `Message to ${m.channel}` },
            h("h4", {}, m.channel),
            h(
              "div",
              { class: "preview-pair" },
              h("div", { class: "slack-frame" }, slackMessage(m.payload, ctx.appName())),
              h(
                "details",
                { class: "json", open: true },
                h("summary", {}, "Payload (JSON)"),
                h(
                  "pre",
                  { tabindex: "0", "aria-label": `Payload for ${m.channel}` },
                  JSON.stringify(m.payload, null, 2),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        refuse([err.message, ...otherDetails(err).map((d) => `${d.path}: ${d.message}`)].join(" · "));
      } else {
        drawn = undefined;
        replace(output, h("p", { class: "error", role: "alert" }, (err as Error).message));
      }
    } finally {
      button.disabled = !ctx.canPreview;
      // Preview lost the focus while it was disabled: it goes to what it drew.
      focusIfLost((output.querySelector("h3") as HTMLElement | null) ?? output);
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setError(null);
    let event: unknown;
    try {
      event = JSON.parse(editor.value);
    } catch (err) {
      return refuse(`Not valid JSON: ${(err as Error).message}`);
    }
    void show(event);
  });

  const el = card(
    {
      id: "preview-title",
      title: "Preview an event",
      subtitle: "See the exact Slack message an upgrade event becomes, before it happens",
    },
    form,
    output,
  );
  /** The integration changed (connected, saved, disconnected): what is shown is drawn again for it. */
  const refresh = () => {
    if (drawn !== undefined) void show(drawn);
  };
  return { el, refresh };
}
