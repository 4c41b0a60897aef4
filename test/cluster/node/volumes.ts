// A pod's volumes as host directories under the pod's directory: emptyDir, configMap, secret,
// downwardAPI, hostPath and projected (serviceAccountToken via the TokenRequest API bound to the
// pod, configMap, secret, downwardAPI). Idempotent: calling it again refreshes file contents (the
// kubelet's periodic resync and token rotation) and leaves emptyDir contents alone.
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { V1DownwardAPIVolumeFile, V1KeyToPath, V1Pod } from "@kubernetes/client-node";
import { ContainerConfigError, fieldValue, type ObjectLookup } from "./env.ts";

export interface VolumeLookup extends ObjectLookup {
  /** A token for the pod's service account, bound to the pod. */
  token(audience: string | undefined, expirationSeconds: number): Promise<{ token: string; expiresAt: Date }>;
}

export interface PreparedVolumes {
  /** Volume name → host directory (or file's directory) to bind-mount. */
  paths: Map<string, string>;
  /** When tokens or data should next be refreshed (80% of the shortest token lifetime). */
  refreshAt: Date | undefined;
}

const DEFAULT_MODE = 0o644;

/** What a volume and a projected volume's source have in common. */
interface VolumeSource {
  configMap?: { name?: string; items?: V1KeyToPath[]; optional?: boolean; defaultMode?: number };
  secret?: {
    secretName?: string;
    name?: string;
    items?: V1KeyToPath[];
    optional?: boolean;
    defaultMode?: number;
  };
  downwardAPI?: { items?: V1DownwardAPIVolumeFile[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
}

function writeAtomic(path: string, content: string | Buffer, mode: number) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Refuses item paths that would escape the volume directory. */
function safeJoin(dir: string, relative: string): string {
  const full = resolve(dir, relative);
  if (!full.startsWith(`${resolve(dir)}/`))
    throw new ContainerConfigError(`volume item path "${relative}" escapes the volume`);
  return full;
}

function writeKeys(
  dir: string,
  data: Record<string, string | Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
) {
  const selected: V1KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of selected) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new ContainerConfigError(`${what}: key "${item.key}" not found`);
    }
    writeAtomic(safeJoin(dir, item.path), value, item.mode ?? defaultMode);
  }
}

async function writeSource(
  dir: string,
  pod: V1Pod,
  lookup: VolumeLookup,
  namespace: string,
  source: VolumeSource,
  defaultMode: number,
): Promise<Date | undefined> {
  if (source.configMap) {
    const ref = source.configMap;
    const data = await lookup.configMap(namespace, ref.name!);
    if (!data && !ref.optional) throw new ContainerConfigError(`configmap "${ref.name}" not found`);
    writeKeys(
      dir,
      data ?? {},
      ref.items,
      ref.defaultMode ?? defaultMode,
      `configmap "${ref.name}"`,
      Boolean(ref.optional),
    );
  } else if (source.secret) {
    const ref = source.secret;
    const name = ref.secretName ?? ref.name;
    const data = await lookup.secret(namespace, name!);
    if (!data && !ref.optional) throw new ContainerConfigError(`secret "${name}" not found`);
    writeKeys(
      dir,
      data ?? {},
      ref.items,
      ref.defaultMode ?? defaultMode,
      `secret "${name}"`,
      Boolean(ref.optional),
    );
  } else if (source.downwardAPI) {
    for (const item of source.downwardAPI.items ?? []) {
      if (!item.fieldRef)
        throw new ContainerConfigError(`downwardAPI item "${item.path}": only fieldRef is supported`);
      writeAtomic(
        safeJoin(dir, item.path),
        fieldValue(pod, item.fieldRef.fieldPath),
        item.mode ?? defaultMode,
      );
    }
  } else if (source.serviceAccountToken) {
    const { audience, expirationSeconds = 3600, path } = source.serviceAccountToken;
    const lifetime = Math.max(expirationSeconds, 600);
    const { token, expiresAt } = await lookup.token(audience, lifetime);
    writeAtomic(safeJoin(dir, path), token, defaultMode);
    const issued = Date.now();
    return new Date(issued + 0.8 * (expiresAt.getTime() - issued));
  }
  return undefined;
}

export async function prepareVolumes(
  pod: V1Pod,
  podDir: string,
  lookup: VolumeLookup,
): Promise<PreparedVolumes> {
  const namespace = pod.metadata?.namespace ?? "default";
  const paths = new Map<string, string>();
  let refreshAt: Date | undefined;
  const earliest = (d: Date | undefined) => {
    if (d && (!refreshAt || d < refreshAt)) refreshAt = d;
  };
  for (const volume of pod.spec?.volumes ?? []) {
    const dir = join(podDir, "volumes", volume.name);
    if (volume.hostPath) {
      if (volume.hostPath.type === "DirectoryOrCreate") mkdirSync(volume.hostPath.path, { recursive: true });
      else if (!existsSync(volume.hostPath.path) && volume.hostPath.type) {
        throw new ContainerConfigError(
          `hostPath "${volume.hostPath.path}" of volume "${volume.name}" does not exist`,
        );
      }
      paths.set(volume.name, volume.hostPath.path);
      continue;
    }
    mkdirSync(dir, { recursive: true });
    paths.set(volume.name, dir);
    if (volume.emptyDir) {
      chmodSync(dir, 0o777);
    } else if (volume.configMap || volume.secret || volume.downwardAPI) {
      earliest(await writeSource(dir, pod, lookup, namespace, volume, DEFAULT_MODE));
    } else if (volume.projected) {
      const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
      for (const source of volume.projected.sources ?? []) {
        earliest(await writeSource(dir, pod, lookup, namespace, source, mode));
      }
    } else {
      const kind = Object.keys(volume).find((k) => k !== "name") ?? "unknown";
      throw new ContainerConfigError(
        `volume "${volume.name}": type ${kind} is not supported by the process node`,
      );
    }
  }
  return { paths, refreshAt };
}
