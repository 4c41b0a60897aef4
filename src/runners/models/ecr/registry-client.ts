// The OCI distribution API over fetch, for one repository: HEAD/GET/PUT manifests, HEAD/GET
// blobs, and blob uploads (monolithic for small blobs, chunked PATCH for large ones) that verify
// the digest of what was sent. Authentication: a fixed Authorization header (ECR's Basic token),
// or anonymous Bearer tokens fetched on a 401 challenge (public source registries).
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { PermanentError } from "../../sdk/task.ts";
import { HttpStatusError } from "./http-retry.ts";
import { MANIFEST_ACCEPT, sha256Digest } from "./oci.ts";

export interface RegistryClientOptions {
  /** http(s)://host[:port] */
  endpoint: string;
  repository: string;
  authorization?: string;
  signal?: AbortSignal;
}

export class RegistryClient {
  readonly options: RegistryClientOptions;
  #bearer: string | undefined;

  constructor(options: RegistryClientOptions) {
    this.options = options;
  }

  #url(path: string): string {
    return `${this.options.endpoint.replace(/\/$/, "")}/v2/${this.options.repository}/${path}`;
  }

  async #fetch(url: string, init: RequestInit & { expect: number[] }): Promise<Response> {
    const send = () => {
      const headers = new Headers(init.headers);
      const auth = this.#bearer ? `Bearer ${this.#bearer}` : this.options.authorization;
      if (auth) headers.set("authorization", auth);
      return fetch(url, { ...init, headers, signal: this.options.signal, redirect: "follow" });
    };
    let response = await send();
    if (response.status === 401 && !this.options.authorization && !this.#bearer) {
      const challenge = response.headers.get("www-authenticate") ?? "";
      await response.body?.cancel();
      if (/^Bearer /i.test(challenge)) {
        this.#bearer = await anonymousToken(challenge, this.options.signal);
        response = await send();
      }
    }
    if (!init.expect.includes(response.status)) {
      const body = await response.text().catch(() => "");
      throw new HttpStatusError(
        response.status,
        `${init.method ?? "GET"} ${new URL(url).pathname} answered HTTP ${response.status}${body ? `: ${body.slice(0, 300)}` : ""}`,
      );
    }
    return response;
  }

  /** The digest of a manifest by tag or digest, or null when it does not exist. */
  async manifestDigest(reference: string): Promise<string | null> {
    const response = await this.#fetch(this.#url(`manifests/${reference}`), {
      method: "HEAD",
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200, 404],
    });
    return response.status === 200 ? response.headers.get("docker-content-digest") : null;
  }

  async getManifest(reference: string): Promise<{ bytes: Buffer; mediaType: string }> {
    const response = await this.#fetch(this.#url(`manifests/${reference}`), {
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200],
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (reference.startsWith("sha256:") && sha256Digest(bytes) !== reference) {
      throw new PermanentError(
        `manifest ${reference} from ${this.options.repository} has digest ${sha256Digest(bytes)}`,
        { type: "DigestMismatch" },
      );
    }
    return { bytes, mediaType: (response.headers.get("content-type") ?? "").split(";")[0] ?? "" };
  }

  /** Pushes a manifest under a tag or digest; returns the digest the registry reports, verified. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const response = await this.#fetch(this.#url(`manifests/${reference}`), {
      method: "PUT",
      headers: { "content-type": mediaType },
      body: new Uint8Array(bytes),
      expect: [200, 201],
    });
    await response.body?.cancel();
    const expected = sha256Digest(bytes);
    const reported = response.headers.get("docker-content-digest");
    if (reported && reported !== expected) {
      throw new PermanentError(
        `registry stored manifest ${reference} as ${reported}, but its bytes hash to ${expected}`,
        { type: "DigestMismatch" },
      );
    }
    return expected;
  }

  async blobExists(digest: string): Promise<boolean> {
    const response = await this.#fetch(this.#url(`blobs/${digest}`), { method: "HEAD", expect: [200, 404] });
    return response.status === 200;
  }

  async getBlob(digest: string): Promise<Readable> {
    const response = await this.#fetch(this.#url(`blobs/${digest}`), { expect: [200] });
    const { Readable } = await import("node:stream");
    return Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
  }

  /**
   * Uploads a blob from a stream: one PUT when it fits in one chunk, else PATCH chunks then PUT.
   * Verifies the bytes hash to `digest` before committing; returns the bytes sent.
   */
  async uploadBlob(digest: string, body: AsyncIterable<Buffer>, chunkBytes: number): Promise<number> {
    const start = await this.#fetch(this.#url("blobs/uploads/"), {
      method: "POST",
      headers: { "content-length": "0" },
      expect: [202],
    });
    let location = this.#resolve(start.headers.get("location"));
    await start.body?.cancel();
    const hash = createHash("sha256");
    let sent = 0;
    let pending: Buffer | null = null;
    for await (const chunk of rechunk(body, chunkBytes)) {
      if (pending) {
        location = await this.#patch(location, pending, sent);
        sent += pending.length;
      }
      hash.update(chunk);
      pending = chunk;
    }
    const actual = `sha256:${hash.digest("hex")}`;
    if (actual !== digest) {
      throw new PermanentError(`source blob ${digest} hashes to ${actual}: refusing to push it`, {
        type: "DigestMismatch",
      });
    }
    // One chunk: a monolithic PUT with the body. More: the last chunk is PATCHed too, then an empty PUT.
    let last = pending ?? Buffer.alloc(0);
    if (sent > 0) {
      location = await this.#patch(location, last, sent);
      sent += last.length;
      last = Buffer.alloc(0);
    }
    const finish = new URL(location);
    finish.searchParams.set("digest", digest);
    const done = await this.#fetch(finish.href, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array(last),
      expect: [201],
    });
    await done.body?.cancel();
    return sent + last.length;
  }

  async #patch(location: string, chunk: Buffer, offset: number): Promise<string> {
    const response = await this.#fetch(location, {
      method: "PATCH",
      headers: {
        "content-type": "application/octet-stream",
        "content-range": `${offset}-${offset + chunk.length - 1}`,
      },
      body: new Uint8Array(chunk),
      expect: [202],
    });
    await response.body?.cancel();
    return this.#resolve(response.headers.get("location"));
  }

  #resolve(location: string | null): string {
    if (!location) throw new HttpStatusError(502, "upload response has no Location header");
    return new URL(location, this.options.endpoint).href;
  }
}

async function anonymousToken(challenge: string, signal?: AbortSignal): Promise<string> {
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!params.realm) throw new HttpStatusError(401, `unsupported auth challenge: ${challenge}`);
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set("service", params.service);
  if (params.scope) url.searchParams.set("scope", params.scope);
  const response = await fetch(url, { signal });
  if (!response.ok)
    throw new HttpStatusError(
      response.status,
      `token endpoint ${url.origin} answered HTTP ${response.status}`,
    );
  const json = (await response.json()) as { token?: string; access_token?: string };
  const token = json.token ?? json.access_token;
  if (!token) throw new HttpStatusError(401, `token endpoint ${url.origin} returned no token`);
  return token;
}

/** Re-chunks a stream into pieces of exactly `size` bytes (the last one shorter). */
async function* rechunk(body: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    bytes += chunk.length;
    while (bytes >= size) {
      const joined = Buffer.concat(parts);
      yield joined.subarray(0, size);
      parts = [joined.subarray(size)];
      bytes = joined.length - size;
    }
  }
  if (bytes > 0) yield Buffer.concat(parts);
}
