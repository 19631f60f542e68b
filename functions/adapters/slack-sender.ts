import { IncomingWebhook, IncomingWebhookHTTPError } from "@slack/webhook";
import { type SlackMessage, slackPayload } from "../core/block-kit";
import { DeliveryError } from "../core/errors";
import type { SlackSender, SlackTarget } from "../core/ports";
import { classifyHttp, classifyNetwork } from "../core/retry-policy";

export interface SlackSenderOptions {
  /** Base URL of the Web API, ending in `/` (`https://slack.com/api/`). */
  apiUrl: string;
  /** Where webhook posts go, path kept; only tests and local runs change it from https://hooks.slack.com. */
  webhookOrigin: string;
  timeoutMs: number;
}

const isTimeout = (err: unknown) => err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");

/**
 * Posts Block Kit messages. Bot and user tokens go to chat.postMessage as JSON (the Web API SDK would send a form),
 * webhooks go through @slack/webhook with its own retries off: our retry policy decides. No error raised here
 * carries a URL or a token.
 */
export class HttpSlackSender implements SlackSender {
  constructor(private readonly opts: SlackSenderOptions) {}

  async post(target: SlackTarget, message: SlackMessage, opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs;
    if (target.method === "webhook") return this.postWebhook(target.secret, message, timeoutMs);
    return this.postMessage(target, message, timeoutMs);
  }

  private async postMessage(target: SlackTarget, message: SlackMessage, timeoutMs: number): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.opts.apiUrl}chat.postMessage`, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${target.secret}` },
        body: JSON.stringify(slackPayload(target.method, target.channel, message)),
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw classifyNetwork(isTimeout(err));
    }
    const text = await response.text().catch(() => "");
    let body: { ok?: unknown; error?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: a bare error code (as webhooks answer) or nothing useful
    }
    const slackError = body
      ? body.ok === true
        ? undefined
        : String(body.error ?? "invalid_response")
      : response.status === 200
        ? "invalid_response"
        : text;
    const failure = classifyHttp(response.status, slackError, response.headers.get("retry-after"));
    if (failure) throw failure;
  }

  private async postWebhook(url: string, message: SlackMessage, timeoutMs: number): Promise<void> {
    const target = new URL(url);
    const destination = new URL(`${target.pathname}${target.search}`, this.opts.webhookOrigin).href;
    let retryAfter: string | null = null;
    const webhook = new IncomingWebhook(destination, {
      timeout: timeoutMs,
      retryConfig: { retries: 0 },
      // Keeps Retry-After, which the SDK's error does not carry.
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        retryAfter = res.headers.get("retry-after");
        return res;
      },
    });
    try {
      await webhook.send(slackPayload("webhook", "", message));
    } catch (err) {
      if (err instanceof IncomingWebhookHTTPError) {
        throw classifyHttp(err.statusCode, err.body, retryAfter) ?? new DeliveryError(`http_${err.statusCode}`, false);
      }
      const cause = err instanceof Error && "original" in err ? (err as { original: unknown }).original : err;
      throw classifyNetwork(isTimeout(cause));
    }
  }
}
