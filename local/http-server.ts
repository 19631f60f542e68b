import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from "aws-lambda";
import { bodyTooLarge } from "../functions/core/errors";
import { API } from "../functions/core/operational";

/** API Gateway's own payload limit: no more is read. The API function enforces the contract's 64 KiB itself. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

export interface HttpServerOptions {
  port: number;
  api(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2>;
  authorizer(
    event: APIGatewayRequestAuthorizerEventV2,
    context: Context,
  ): Promise<{ isAuthorized: boolean; context?: Record<string, unknown> }>;
  /** Whether API Gateway serves a path without the authorizer. */
  isPublicPath(path: string): boolean;
  onError(err: unknown): void;
}

const lambdaContext = (functionName: string, timeoutSeconds: number) => {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    functionName,
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  } as Context;
};

class TooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY) throw new TooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Plays API Gateway (HTTP API, payload 2.0): request → authorizer → API function → response. */
export async function startHttpServer(
  opts: HttpServerOptions,
): Promise<{ server: Server; url: string; stop(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    try {
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (err) {
        if (!(err instanceof TooLarge)) throw err;
        // The contract's envelope, where API Gateway would answer its own {"message"}; the rest of the body is not
        // read, so the connection cannot be kept.
        // (Not the API's own error helpers: they load the functions' logger before npm start has configured it.)
        const { code, message } = bodyTooLarge();
        res
          .writeHead(413, { "content-type": "application/json; charset=utf-8", connection: "close" })
          .end(JSON.stringify({ error: { code, message } }));
        return;
      }
      const url = new URL(req.url ?? "/", "http://local");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
      const text = (() => {
        try {
          return new TextDecoder("utf-8", { fatal: true }).decode(body);
        } catch {
          return undefined;
        }
      })();
      const now = new Date();
      const http = {
        method: req.method ?? "GET",
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: req.socket.remoteAddress ?? "",
        userAgent: headers["user-agent"] ?? "",
      };
      const requestContext = {
        accountId: "000000000000",
        apiId: "local",
        domainName: headers.host ?? "localhost",
        domainPrefix: "local",
        http,
        requestId: randomUUID(),
        routeKey: "$default",
        stage: "$default",
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      };
      let authorizer: Record<string, unknown> | undefined;
      if (!opts.isPublicPath(url.pathname)) {
        const auth = await opts.authorizer(
          {
            version: "2.0",
            type: "REQUEST",
            routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${http.method}${url.pathname}`,
            identitySource: headers.authorization ? [headers.authorization] : [],
            routeKey: "$default",
            rawPath: url.pathname,
            rawQueryString: url.search.slice(1),
            headers,
            queryStringParameters: query,
            requestContext,
            pathParameters: {},
            stageVariables: {},
            cookies: [],
          } as unknown as APIGatewayRequestAuthorizerEventV2,
          lambdaContext("authorizer-local", API.authorizerTimeoutSeconds),
        );
        if (!auth.isAuthorized) {
          res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ message: "Forbidden" }));
          return;
        }
        authorizer = { lambda: auth.context ?? {} };
      }
      const event = {
        version: "2.0",
        routeKey: "$default",
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(url.searchParams.size ? { queryStringParameters: query } : {}),
        requestContext: { ...requestContext, ...(authorizer ? { authorizer } : {}) },
        ...(body.length
          ? { body: text ?? body.toString("base64"), isBase64Encoded: text === undefined }
          : { isBase64Encoded: false }),
      } as APIGatewayProxyEventV2;
      const result = await opts.api(event, lambdaContext("api-local", API.timeoutSeconds));
      const out = result.body ?? "";
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      res.end(result.isBase64Encoded ? Buffer.from(out, "base64") : out);
    } catch (err) {
      opts.onError(err);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Internal Server Error" }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
