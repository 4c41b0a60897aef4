// RBAC is enforced for real on what runs in a pod: the pod's own service-account token (requested
// by the node with the TokenRequest API, bound to the pod) is refused without a Role and accepted
// with one. The pod uses @kubernetes/client-node's loadFromCluster() unchanged (runner image: the
// container runs in this checkout, so the library resolves).
import { describe, expect, test } from "vitest";
import { clients, kubectl, useTestNamespace, waitFor } from "../../harness/kube.ts";
import { nodePod, RUNNER_IMAGE } from "./builders.ts";

const ns = useTestNamespace("e2e-rbac");

// Exit 0: allowed; exit 3: refused with 403; anything else: an unexpected failure.
const LIST_PODS = `
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
const kc = new KubeConfig();
kc.loadFromCluster();
const namespace = (await import("node:fs")).readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "utf8");
try {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
  console.log("allowed: " + pods.items.length + " pods");
  process.exit(0);
} catch (error) {
  console.log("refused: " + error.code);
  process.exit(error.code === 403 ? 3 : 1);
}`;

function probePod(name: string) {
  return nodePod(name, LIST_PODS, {
    pod: { serviceAccountName: "reader" },
    container: { image: RUNNER_IMAGE, command: ["node", "--input-type=module", "-e", LIST_PODS] },
  });
}

describe("service-account tokens in pods", () => {
  test("a pod calling the API with its own token is refused without a Role and allowed with one", async () => {
    const { core, rbac } = clients();
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: "reader" } } });

    await core.createNamespacedPod({ namespace: ns.name, body: probePod("before-role") });
    const refused = await waitFor(
      "pod before-role terminal",
      () => core.readNamespacedPod({ name: "before-role", namespace: ns.name }),
      (p) => ["Succeeded", "Failed"].includes(p.status?.phase ?? ""),
    );
    const refusedLogs = await kubectl(["logs", "-n", ns.name, "before-role"]);
    expect(refused.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, refusedLogs.stdout).toBe(3);
    expect(refusedLogs.stdout).toContain("refused: 403");

    await rbac.createNamespacedRole({
      namespace: ns.name,
      body: {
        metadata: { name: "pod-reader" },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: "reader-reads-pods" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: ns.name }],
      },
    });
    await core.createNamespacedPod({ namespace: ns.name, body: probePod("after-role") });
    const allowed = await waitFor(
      "pod after-role terminal",
      () => core.readNamespacedPod({ name: "after-role", namespace: ns.name }),
      (p) => ["Succeeded", "Failed"].includes(p.status?.phase ?? ""),
    );
    const allowedLogs = await kubectl(["logs", "-n", ns.name, "after-role"]);
    expect(allowed.status?.phase, allowedLogs.stdout).toBe("Succeeded");
    expect(allowedLogs.stdout).toMatch(/^allowed: \d+ pods/);
  });
});
