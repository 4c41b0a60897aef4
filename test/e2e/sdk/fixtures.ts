// Shared set-up for the SDK and HTTP API end-to-end tests: service accounts with real tokens
// (TokenRequest API), real RBAC Roles on taskruns, and the task map with the test-only tasks.
import { builtInTasks } from "../../../src/runners/registry.ts";
import type { TaskDefinition } from "../../../src/runners/sdk/task.ts";
import { testingTasks } from "../../../src/runners/testing/tasks.ts";
import { clients } from "../../harness/kube.ts";

/** The built-in tasks plus testing.* (noop, sleep, exit, flaky), as the operator's e2e runners have. */
export const tasksWithTesting: ReadonlyMap<string, TaskDefinition> = new Map([
  ...builtInTasks,
  ...testingTasks.map((t) => [t.name, t] as const),
]);

/** A ServiceAccount with a fresh token from the TokenRequest API. */
export async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  const { core } = clients();
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    .catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  return token;
}

/** A Role with `verbs` on taskruns in `namespace`, bound to the ServiceAccount `account`. */
export async function grantTaskRuns(namespace: string, account: string, verbs: string[]): Promise<void> {
  const { rbac } = clients();
  const role = `${account}-taskruns`;
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: role },
      rules: [{ apiGroups: ["tasks.synthetiq.io"], resources: ["taskruns"], verbs }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: role },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
      subjects: [{ kind: "ServiceAccount", name: account, namespace }],
    },
  });
}
