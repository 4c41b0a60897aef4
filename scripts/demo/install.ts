// The chart installed as a user would: a restricted namespace, Secrets for Redis, SMTP and the CDP
// database, and `helm upgrade --install` with values pointing at the loopback services. The
// operator runs as a pod on the process node and its runners as pods.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { helmOk, type Kube, kubectlOk } from "./kube.ts";
import { CHART_DIR_NAME } from "./names.ts";
import { databaseUrl, redisUrl } from "./services.ts";
import { DEMO_DIR, type DemoState, NAMESPACE, paths, RELEASE } from "./state.ts";

function secret(name: string, data: Record<string, string>) {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: NAMESPACE }, stringData: data };
}

export function applyNamespaceAndSecrets(kube: Kube, state: DemoState) {
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  };
  const objects = [
    namespace,
    secret("redis-auth", { "redis-password": state.redisPassword }),
    secret("smtp", { host: "127.0.0.1", port: String(state.ports.smtp) }),
    secret("cdp-database", { url: databaseUrl(state) }),
  ];
  kubectlOk(kube, ["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
}

export function chartValues(state: DemoState) {
  return {
    redis: { bundled: { enabled: false }, url: redisUrl(state), existingSecret: { name: "redis-auth" } },
    smtp: {
      existingSecret: { name: "smtp", userKey: "", passwordKey: "" },
      from: "SynthetIQ demo <no-reply@synthetiq.example>",
    },
    database: { existingSecret: { name: "cdp-database" } },
    // Pods on the process node share the host's network: the operator listens on a free port.
    operator: { httpPort: state.ports.operator, watchNamespaces: [NAMESPACE] },
    // The local cluster has no volume provisioner: a claim would stay Pending and hold `helm --wait`.
    // The runners write to a directory on this machine instead (ARTIFACTS_DIR below).
    artifacts: { persistence: { enabled: false } },
    runner: {
      extraEnv: {
        // Files the tasks produce, on this machine (in a real cluster: artifacts.s3Bucket).
        ARTIFACTS_DIR: paths.artifacts,
        // A TaskQueue's spec.defaults.env (Secret references like the ones above) reaches only the
        // runs of that queue; the demo's TaskRuns name no queue, so the loopback addresses go to
        // every runner as plain settings. No credential is in them.
        SMTP_HOST: "127.0.0.1",
        SMTP_PORT: String(state.ports.smtp),
        DATABASE_URL: databaseUrl(state),
      },
    },
  };
}

/** helm upgrade --install; returns the release's revision. */
export function installChart(kube: Kube, state: DemoState, repoRoot: string): string {
  mkdirSync(paths.artifacts, { recursive: true });
  chmodSync(paths.artifacts, 0o777); // runner pods run as uid 65532
  const valuesFile = join(DEMO_DIR, "values.json");
  writeFileSync(valuesFile, JSON.stringify(chartValues(state), null, 2), { mode: 0o600 });
  try {
    helmOk(kube, [
      "upgrade",
      "--install",
      RELEASE,
      join(repoRoot, CHART_DIR_NAME),
      "--namespace",
      NAMESPACE,
      "--wait",
      "--timeout",
      "300s",
      "-f",
      valuesFile,
    ]);
  } finally {
    rmSync(valuesFile, { force: true });
  }
  const status = JSON.parse(helmOk(kube, ["status", RELEASE, "-n", NAMESPACE, "-o", "json"])) as {
    version: number;
  };
  return `release ${RELEASE} revision ${status.version} in namespace ${NAMESPACE}`;
}
