// The node's calls to the API server, as the node's own identity (system:node:<name>, so the Node
// authorizer and NodeRestriction apply as for a kubelet): ConfigMap/Secret reads with a short
// cache, service-account tokens bound to a pod, pod status patches and final pod deletion.
import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from "@kubernetes/client-node";
import type { ObjectLookup } from "./env.ts";

export function statusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** One line for logs and waiting messages: the API's own message rather than the raw response. */
export function describeError(error: unknown): string {
  if (error instanceof ApiException) {
    try {
      const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
      if (body?.message) return `HTTP ${error.code}: ${body.message}`;
    } catch {}
    return `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

const CACHE_TTL_MS = 5_000;

export class NodeApi {
  readonly core: CoreV1Api;
  readonly #cache = new Map<string, { at: number; value: Promise<Record<string, string> | undefined> }>();

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  #cached(key: string, load: () => Promise<Record<string, string> | undefined>) {
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.value;
    const value = load();
    this.#cache.set(key, { at: Date.now(), value });
    // Only found objects are cached: a missing one is looked up again on the next retry.
    value.then((v) => v === undefined && this.#cache.delete(key)).catch(() => this.#cache.delete(key));
    if (this.#cache.size > 2_000) this.#cache.clear();
    return value;
  }

  lookup(): ObjectLookup {
    return {
      configMap: (namespace, name) =>
        this.#cached(`cm/${namespace}/${name}`, async () => {
          try {
            const cm = await this.core.readNamespacedConfigMap({ name, namespace });
            const binary = Object.fromEntries(
              Object.entries(cm.binaryData ?? {}).map(([k, v]) => [
                k,
                Buffer.from(v, "base64").toString("utf8"),
              ]),
            );
            return { ...binary, ...(cm.data ?? {}) };
          } catch (error) {
            if (statusCode(error) === 404) return undefined;
            throw error;
          }
        }),
      secret: (namespace, name) =>
        this.#cached(`secret/${namespace}/${name}`, async () => {
          try {
            const secret = await this.core.readNamespacedSecret({ name, namespace });
            return Object.fromEntries(
              Object.entries(secret.data ?? {}).map(([k, v]) => [
                k,
                Buffer.from(v, "base64").toString("utf8"),
              ]),
            );
          } catch (error) {
            if (statusCode(error) === 404) return undefined;
            throw error;
          }
        }),
    };
  }

  /** A TokenRequest for the pod's service account, bound to the pod (it dies with the pod). */
  async podToken(pod: V1Pod, audience: string | undefined, expirationSeconds: number) {
    const result = await this.core.createNamespacedServiceAccountToken({
      name: pod.spec?.serviceAccountName ?? "default",
      namespace: pod.metadata!.namespace!,
      body: {
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds,
          boundObjectRef: {
            apiVersion: "v1",
            kind: "Pod",
            name: pod.metadata!.name!,
            uid: pod.metadata!.uid!,
          },
        },
      },
    });
    const expiresAt = result.status?.expirationTimestamp
      ? new Date(result.status.expirationTimestamp)
      : new Date(Date.now() + expirationSeconds * 1000);
    const token = result.status?.token;
    if (!token)
      throw new Error(
        `TokenRequest for pod ${pod.metadata!.namespace}/${pod.metadata!.name} returned no token`,
      );
    return { token, expiresAt };
  }

  async patchPodStatus(namespace: string, name: string, patch: object) {
    await this.core.patchNamespacedPodStatus(
      { name, namespace, body: patch },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
  }

  /** The kubelet's last word on a pod: delete with grace 0, only the pod instance it ran. */
  async deletePod(namespace: string, name: string, uid: string) {
    try {
      await this.core.deleteNamespacedPod({
        name,
        namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (error) {
      const code = statusCode(error);
      if (code !== 404 && code !== 409) throw error;
    }
  }
}
