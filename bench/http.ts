/**
 * The load generators' HTTP client: one keep-alive agent, Basic auth as
 * `admin`, JSON content type unless the caller names another. Answers are
 * read whole; with `decode: false` a 200 body is only counted, so the
 * generator spends little CPU on it.
 */
import { Agent, request } from "node:http";

const AUTH = `Basic ${Buffer.from("admin:").toString("base64")}`;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly bytes: number;
}

export interface CallOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Keep and decode the body of a 200 (default true). */
  readonly decode?: boolean;
}

export function call(
  base: URL,
  method: string,
  path: string,
  body?: string | Uint8Array,
  options: CallOptions = {},
): Promise<Reply> {
  const decode = options.decode ?? true;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: {
          authorization: AUTH,
          ...(body === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
          if (decode || res.statusCode !== 200) chunks.push(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), bytes }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The reply, or an error naming the status and body when it is not `status`. */
export async function expectStatus(reply: Promise<Reply>, status: number): Promise<Reply> {
  const r = await reply;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.body}`);
  return r;
}

/** Closes the kept-alive connections (before the server under test shuts down). */
export function closeConnections(): void {
  agent.destroy();
}
