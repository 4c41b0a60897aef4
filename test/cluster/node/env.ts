// A container's environment as the kubelet builds it: envFrom, then env (value with $(VAR)
// expansion, fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef, honouring `optional`),
// plus the service variables. Reads ConfigMaps and Secrets through a lookup so that the rules stay
// testable without a cluster.
import type { V1Container, V1Pod } from "@kubernetes/client-node";

export interface ObjectLookup {
  /** Data of the ConfigMap, or undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** Decoded data of the Secret, or undefined when it does not exist. */
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** The container cannot start until its configuration exists (kubelet: CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

/** Kubernetes' $(VAR) expansion: defined names are replaced, `$$` escapes, unknown refs stay. */
export function expandVars(input: string, env: Record<string, string>): string {
  return input.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === "$$") return "$";
    return name !== undefined && name in env ? env[name]! : match;
  });
}

/** Resolves a downward-API field path; throws for a path the kubelet does not support either. */
export function fieldValue(pod: V1Pod, fieldPath: string): string {
  const annotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (annotation) {
    const map = annotation[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[annotation[2]!] ?? "";
  }
  const ip = pod.status?.podIP ?? "127.0.0.1";
  const hostIp = pod.status?.hostIP ?? "127.0.0.1";
  const values: Record<string, string | undefined> = {
    "metadata.name": pod.metadata?.name,
    "metadata.namespace": pod.metadata?.namespace,
    "metadata.uid": pod.metadata?.uid,
    "metadata.labels": formatMap(pod.metadata?.labels),
    "metadata.annotations": formatMap(pod.metadata?.annotations),
    "spec.nodeName": pod.spec?.nodeName,
    "spec.serviceAccountName": pod.spec?.serviceAccountName,
    "status.hostIP": hostIp,
    "status.hostIPs": hostIp,
    "status.podIP": ip,
    "status.podIPs": ip,
  };
  if (!(fieldPath in values)) throw new ContainerConfigError(`unsupported fieldRef fieldPath "${fieldPath}"`);
  return values[fieldPath] ?? "";
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join("\n");
}

const UNITS: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function parseQuantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(q);
  if (!m) throw new ContainerConfigError(`invalid quantity "${q}"`);
  return Number(m[1]) * (m[2] ? (UNITS[m[2]] ?? Number.NaN) : 1);
}

/** resourceFieldRef: the container's limit (node capacity when unset), divided and rounded up. */
function resourceValue(
  container: V1Container,
  ref: { resource: string; divisor?: string | number },
  capacity: Record<string, string>,
): string {
  const [kind, resource] = ref.resource.split(".", 2) as [string, string];
  const set = kind === "requests" ? container.resources?.requests : container.resources?.limits;
  const raw = set?.[resource] ?? capacity[resource];
  if (raw === undefined) throw new ContainerConfigError(`unsupported resourceFieldRef "${ref.resource}"`);
  const divisor = ref.divisor === undefined ? 1 : parseQuantity(String(ref.divisor));
  return String(Math.ceil(parseQuantity(String(raw)) / divisor));
}

export interface EnvContext {
  pod: V1Pod;
  container: V1Container;
  lookup: ObjectLookup;
  /** Variables every container gets first (KUBERNETES_SERVICE_HOST, PATH, HOSTNAME, ...). */
  base: Record<string, string>;
  capacity: Record<string, string>;
}

export async function resolveEnv({
  pod,
  container,
  lookup,
  base,
  capacity,
}: EnvContext): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? "default";
  const env: Record<string, string> = { ...base };
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? "";
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const kind = source.configMapRef ? "configmap" : "secret";
    const data = source.configMapRef
      ? await lookup.configMap(namespace, ref.name!)
      : await lookup.secret(namespace, ref.name!);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) env[prefix + key] = value;
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expandVars(variable.value ?? "", env);
    } else if (from.fieldRef) {
      env[variable.name] = fieldValue(pod, from.fieldRef.fieldPath);
    } else if (from.resourceFieldRef) {
      env[variable.name] = resourceValue(container, from.resourceFieldRef, capacity);
    } else {
      const ref = from.configMapKeyRef ?? from.secretKeyRef;
      if (!ref) continue;
      const kind = from.configMapKeyRef ? "configmap" : "secret";
      const data = from.configMapKeyRef
        ? await lookup.configMap(namespace, ref.name!)
        : await lookup.secret(namespace, ref.name!);
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(
          data
            ? `couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`
            : `${kind} "${ref.name}" not found`,
        );
      }
      env[variable.name] = value;
    }
  }
  return env;
}
