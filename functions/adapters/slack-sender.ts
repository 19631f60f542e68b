import { IncomingWebhook, IncomingWebhookHTTPError } from "@slack/webhook";
import { type SlackMessage, slackPayload } from "../core/block-kit";
import { DeliveryError } from "../core/errors";
import type { Posted, PostOptions, SlackSender, SlackTarget } from "../core/ports";
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

  async post(target: SlackTarget, message: SlackMessage, opts: PostOptions = {}): Promise<Posted> {
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs;
    if (target.method === "webhook") {
      await this.postWebhook(target.secret, message, timeoutMs);
      return {};
    }
    const body = await this.callApi(
      "chat.postMessage",
      target.secret,
      slackPayload(
        target.method,
        target.channel,
        message,
        opts.threadTs ? { threadTs: opts.threadTs, broadcast: opts.broadcast ?? false } : undefined,
      ),
      timeoutMs,
    );
    return {
      ...(typeof body.channel === "string" ? { channel_id: body.channel } : {}),
      ...(typeof body.ts === "string" ? { ts: body.ts } : {}),
    };
  }

  async update(target: { secret: string; channelId: string; ts: string }, message: SlackMessage): Promise<void> {
    await this.callApi(
      "chat.update",
      target.secret,
      { channel: target.channelId, ts: target.ts, ...message },
      this.opts.timeoutMs,
    );
  }

  /** One Web API call as JSON; Slack's answer when it says ok, else the classified failure. */
  private async callApi(
    method: string,
    token: string,
    payload: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(`${this.opts.apiUrl}${method}`, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${token}` },
        body: JSON.stringify(payload),
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw classifyNetwork(isTimeout(err));
    }
    const text = await response.text().catch(() => "");
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      // not JSON: the Web API always answers JSON, so this is a proxy's or a load balancer's page, never Slack's code
    }
    // A body that is not JSON is classified by its HTTP status alone (http_NNN): its text is nobody's error code.
    const slackError = body
      ? body.ok === true
        ? undefined
        : String(body.error ?? "invalid_response")
      : response.status === 200
        ? "invalid_response"
        : undefined;
    const failure = classifyHttp(response.status, slackError, response.headers.get("retry-after"));
    if (failure) throw failure;
    return body ?? {};
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
