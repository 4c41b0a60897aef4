// The kubeconfig as kubectl finds it (--kubeconfig, else KUBECONFIG, else ~/.kube/config, else the
// pod's service account), with errors that say what is missing. client-node alone falls back to
// http://localhost:8080 when it finds nothing (and then fails on "HTTP protocol is not allowed"),
// and takes a --context the kubeconfig does not have (and then fails on "No active cluster!").
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { findHomeDir, KubeConfig } from "@kubernetes/client-node";
import { UsageError } from "./flags.ts";

/** What client-node's loadFromDefault checks for a pod's service account. */
export const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** Where the kubeconfig comes from, in words for an error message; throws when there is none. */
function defaultSource(): string {
  const fromEnv = (process.env.KUBECONFIG ?? "").split(delimiter).filter((file) => file !== "");
  if (fromEnv.length > 0) {
    const missing = fromEnv.filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`KUBECONFIG names ${missing.join(", ")}, which does not exist`);
    return fromEnv.join(delimiter);
  }
  const home = findHomeDir() ?? process.env.HOME;
  const homeConfig = home === undefined ? undefined : join(home, ".kube", "config");
  if (homeConfig !== undefined && existsSync(homeConfig)) return homeConfig;
  if (existsSync(SERVICE_ACCOUNT_TOKEN)) return "the pod's service account";
  throw new Error(
    "no kubeconfig found: KUBECONFIG is not set, " +
      `${homeConfig ?? "~/.kube/config ($HOME is not set)"} does not exist, ` +
      `and this is not a pod with a service account (no ${SERVICE_ACCOUNT_TOKEN}); ` +
      "give --kubeconfig PATH or set KUBECONFIG",
  );
}

/** The kubeconfig of `--kubeconfig` (else the default one) with `--context` made current. */
export function loadKubeConfig(path: string | undefined, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  let source: string;
  if (path !== undefined) {
    if (!existsSync(path)) throw new UsageError(`--kubeconfig ${path} does not exist`);
    kc.loadFromFile(path);
    source = path;
  } else {
    source = defaultSource();
    kc.loadFromDefault();
  }
  if (context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(context)) {
      throw new UsageError(
        `context "${context}" is not in the kubeconfig (${source}); ` +
          (names.length > 0 ? `its contexts: ${names.join(", ")}` : "it has no contexts"),
      );
    }
    kc.setCurrentContext(context);
  }
  return kc;
}
