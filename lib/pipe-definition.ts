/**
 * The stream-to-queue pipe, as data: the CDK stack gives it to the EventBridge Pipe, the local pump applies the same
 * filter and mapping to DynamoDB Local's stream.
 */

/**
 * Inserts of pending notifications, and retries through the API (failed → pending, requeued_by api). Attempt counting
 * (pending → pending) is not forwarded, nor an operator's redrive, which moves the dead-lettered message itself.
 */
export const PIPE_FILTERS = [
  { eventName: ["INSERT"], dynamodb: { NewImage: { kind: { S: ["notification"] }, status: { S: ["pending"] } } } },
  {
    eventName: ["MODIFY"],
    dynamodb: {
      NewImage: { kind: { S: ["notification"] }, status: { S: ["pending"] }, requeued_by: { S: ["api"] } },
      OldImage: { status: { S: ["failed"] } },
    },
  },
] as const;

export const PIPE_TARGET = {
  messageGroupIdPath: "$.dynamodb.NewImage.delivery_group.S",
  messageDeduplicationIdPath: "$.dynamodb.NewImage.dispatch_id.S",
  // References only (never a credential or message text); the event id and channel let delivery read everything it
  // needs in one request.
  inputTemplate:
    '{"workspace_id": <$.dynamodb.NewImage.workspace_id.S>, "notification_id": <$.dynamodb.NewImage.id.S>, "event_id": <$.dynamodb.NewImage.event_id.S>, "channel": <$.dynamodb.NewImage.channel.S>}',
} as const;

type Pattern = { readonly [key: string]: Pattern | readonly string[] };

/** EventBridge pattern matching for the subset the filters use: nested objects and lists of exact values. */
export function matchesPattern(pattern: Pattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) return typeof actual === "string" && expected.includes(actual);
    return matchesPattern(expected as Pattern, actual);
  });
}

/** Reads a `$.a.b.c` path. */
export function readPath(record: unknown, path: string): unknown {
  return path
    .replace(/^\$\./, "")
    .split(".")
    .reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), record);
}

/** The pipe's input template: `<$.path>` placeholders become the JSON value at that path. */
export const renderTemplate = (template: string, record: unknown) =>
  template.replace(/<(\$[^>]+)>/g, (_, path: string) => JSON.stringify(readPath(record, path) ?? null));
