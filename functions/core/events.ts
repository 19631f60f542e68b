import * as z from "zod";
import { severityOf } from "./severity";

/** A required text: present and not blank (a blank would show as an empty field in Slack). */
const required = (max: number) => z.string().min(1, { abort: true }).max(max).regex(/\S/, "must not be blank");
const version = required(64);
const shortText = z.string().max(256);
/**
 * A measure as the status message keeps it in DynamoDB: 0, or at least a millionth (DynamoDB cannot hold a number
 * under 1e-130 at all, and its client no integer beyond 2^53), so every accepted event can be delivered.
 */
const measure = (max: number) =>
  z
    .number()
    .min(0)
    .max(max)
    .refine((n) => n === 0 || n >= 1e-6, { message: "Must be 0 or at least 0.000001" });
const score = measure(100);
/** A year: an upgrade that ran longer is a wrong value, not a long upgrade. */
const MAX_DURATION_SECONDS = 366 * 24 * 3600;
/** Slack's limit for a button's url, counted in UTF-16 units. */
const MAX_URL = 3000;

/**
 * The dashboard link: an absolute https: URL with no user info, whitespace or control characters, sent as its
 * normalized form. The raw text is checked too: the URL parser quietly strips tabs and newlines, and an empty user
 * info (`https://@host/`) leaves no trace in the parsed URL. What must fit Slack's limit is the normalized form, since
 * normalizing percent-encodes and can make it longer than what was given.
 */
function dashboardUrlProblem(raw: string): string | undefined {
  if (/[\s\p{Cc}]/u.test(raw)) return "must not contain whitespace or control characters";
  if (!/^https:\/\//i.test(raw) || !URL.canParse(raw)) return "must be an absolute https: URL";
  const url = new URL(raw);
  // The authority ends at the first / \ ? or # (backslash counts as a slash in https: URLs).
  if (url.username || url.password || /^https:\/\/[^/\\?#]*@/i.test(raw)) return "must not contain user info";
  if (url.href.length > MAX_URL) return `must be at most ${MAX_URL} characters once normalized`;
  return undefined;
}
const dashboardUrl = z
  .string()
  .max(MAX_URL)
  .superRefine((raw, ctx) => {
    const problem = dashboardUrlProblem(raw);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  // overwrite, not transform: the type stays a string, so the schema still converts to JSON Schema (OpenAPI). It also
  // runs after a failed check, hence the guard.
  .overwrite((raw) => (URL.canParse(raw) ? new URL(raw).href : raw))
  // What of dashboardUrlProblem JSON Schema can say: https:, and no whitespace or control character.
  .meta({ pattern: "^[Hh][Tt][Tt][Pp][Ss]://[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$" });

/**
 * RFC 3339 section 5.6 `date-time`: `T` and `Z` in either case (its note), seconds up to 60 (a leap second), any
 * fraction, `Z` or a numeric offset. Stored with `T` and `Z` upper-cased.
 */
const RFC3339 =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const dayExists = (raw: string) => {
  const [, y, m, d] = RFC3339.exec(raw) ?? [];
  // Day 0 of the next month is this month's last day. setUTCFullYear, not Date.UTC: that reads years 0 to 99 as 19xx.
  const last = new Date(0);
  last.setUTCFullYear(Number(y), Number(m), 0);
  return last.getUTCDate() >= Number(d);
};
const rfc3339 = z
  .string()
  // abort: a text that is no date-time at all is not also told that its day does not exist.
  .regex(RFC3339, { message: "an RFC 3339 date-time, e.g. 2026-11-20T10:00:00Z", abort: true })
  .refine(dayExists, "no such day in that month")
  .overwrite((raw) => raw.toUpperCase())
  .meta({ format: "date-time" });

const MAX_LABELS = 32;
const eventIdLike = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "1 to 128 of A-Z a-z 0-9 . _ : -");
const base = {
  event_id: eventIdLike,
  upgrade_id: eventIdLike.optional().meta({ description: "The upgrade this event belongs to: its Slack thread" }),
  occurred_at: rfc3339.optional(),
  cluster: z.object({
    name: required(253),
    id: shortText.optional(),
    provider: shortText.optional(),
    region: shortText.optional(),
  }),
  labels: z
    .record(z.string().min(1).max(128), z.string().max(256))
    .refine((l) => Object.keys(l).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`)
    .meta({ maxProperties: MAX_LABELS })
    .optional(),
  dashboard_url: dashboardUrl.optional(),
};

// The contract marks required fields in bold for `data` only: the fields of its lists and of the maintenance window
// are all optional, and a missing one is shown as "?".
const deprecatedApi = z.object({
  api: z.string().min(1).max(512).optional(),
  removed_in: shortText.optional(),
  replacement: shortText.optional(),
  occurrences: z.number().int().min(0).optional(),
});
const addonConflict = z.object({
  name: z.string().min(1).max(256).optional(),
  installed_version: shortText.optional(),
  required_version: shortText.optional(),
  reason: z.string().max(2000).optional(),
});
const execution = { execution_id: required(256), current_version: version, target_version: version };
const longText = z.string().max(10_000);

export const eventSchema = z.discriminatedUnion("type", [
  z.object({
    ...base,
    type: z.literal("scan_completed"),
    data: z.object({
      risk_score: score,
      current_version: version,
      target_version: version,
      deprecated_apis: z.array(deprecatedApi).max(1000).optional(),
      addon_conflicts: z.array(addonConflict).max(1000).optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal("upgrade_scheduled"),
    data: z.object({
      risk_score: score,
      current_version: version,
      target_version: version,
      maintenance_window: z.object({
        start: shortText.optional(),
        end: shortText.optional(),
        timezone: shortText.optional(),
      }),
    }),
  }),
  z.object({ ...base, type: z.literal("execution_started"), data: z.object(execution) }),
  z.object({
    ...base,
    type: z.literal("execution_completed"),
    data: z.object({
      ...execution,
      duration_seconds: measure(MAX_DURATION_SECONDS),
      rollback_status: shortText,
      confidence_score: score,
    }),
  }),
  z.object({
    ...base,
    type: z.literal("execution_failed"),
    data: z.object({
      ...execution,
      // Empty is "none": shown as a dash (contract section 3).
      failure_reason: longText,
      rollback_status: shortText,
      error_details: longText.optional(),
    }),
  }),
]);

export type UpgradeEvent = z.infer<typeof eventSchema>;
export type EventType = UpgradeEvent["type"];
export const EVENT_TYPES = [
  "scan_completed",
  "upgrade_scheduled",
  "execution_started",
  "execution_completed",
  "execution_failed",
] as const;

/** The labels conditions are matched against: the event's own, overridden by the built-ins so they cannot be spoofed. */
export function matchLabels(event: UpgradeEvent): Record<string, string> {
  return { ...event.labels, type: event.type, severity: severityOf(event), cluster: event.cluster.name };
}
