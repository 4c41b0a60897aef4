// What the process node does with a pod, as a kubelet would: deletion (SIGTERM, grace period,
// SIGKILL, terminal status), environment resolution, volumes, the container's user, and logs
// served to `kubectl logs` through the API server.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { clients, hasCondition, kubectl, useTestNamespace, waitFor } from "../../harness/kube.ts";
import { freePort } from "../../harness/processes.ts";
import { nodePod } from "./builders.ts";

const ns = useTestNamespace("e2e-pods");
// Keeps the pod object after the node's final deletion so that its last status can be read.
const HOLD = "synthetiq.io/e2e-hold";

async function release(core: CoreV1Api, name: string) {
  await core.patchNamespacedPod(
    { name, namespace: ns.name, body: [{ op: "remove", path: "/metadata/finalizers" }] },
    setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
  );
}

const phaseIs =
  (...phases: string[]) =>
  (p: V1Pod) =>
    phases.includes(p.status?.phase ?? "");

describe.concurrent("the process node", () => {
  test("a pod deleted while running gets SIGTERM and ends with a terminal status", async () => {
    const { core } = clients();
    const marker = join(mkdtempSync(join(tmpdir(), "e2e-sigterm-")), "marker");
    const script = `process.on("SIGTERM", () => { require("fs").writeFileSync(process.env.MARKER, "SIGTERM"); process.exit(0); });
      setInterval(() => {}, 1000);`;
    await core.createNamespacedPod({
      namespace: ns.name,
      body: nodePod("graceful", script, {
        finalizers: [HOLD],
        container: { env: [{ name: "MARKER", value: marker }] },
      }),
    });
    await waitFor(
      "pod graceful Running",
      () => core.readNamespacedPod({ name: "graceful", namespace: ns.name }),
      phaseIs("Running"),
    );
    await core.deleteNamespacedPod({ name: "graceful", namespace: ns.name, gracePeriodSeconds: 20 });
    const pod = await waitFor(
      "pod graceful terminal",
      () => core.readNamespacedPod({ name: "graceful", namespace: ns.name }),
      phaseIs("Succeeded", "Failed"),
      30_000,
    );
    expect(readFileSync(marker, "utf8")).toBe("SIGTERM");
    expect(pod.status?.phase).toBe("Succeeded");
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    await release(core, "graceful");
  });

  test("a container that ignores SIGTERM is killed when the grace period ends (exit 137)", async () => {
    const { core } = clients();
    const script = `process.on("SIGTERM", () => console.log("ignoring SIGTERM")); setInterval(() => {}, 1000);`;
    await core.createNamespacedPod({
      namespace: ns.name,
      body: nodePod("stubborn", script, { finalizers: [HOLD] }),
    });
    await waitFor(
      "pod stubborn Running",
      () => core.readNamespacedPod({ name: "stubborn", namespace: ns.name }),
      phaseIs("Running"),
    );
    const deletedAt = Date.now();
    await core.deleteNamespacedPod({ name: "stubborn", namespace: ns.name, gracePeriodSeconds: 2 });
    const pod = await waitFor(
      "pod stubborn terminal",
      () => core.readNamespacedPod({ name: "stubborn", namespace: ns.name }),
      phaseIs("Succeeded", "Failed"),
      30_000,
    );
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(2_000);
    expect(pod.status?.phase).toBe("Failed");
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 137,
      reason: "Error",
    });
    await release(core, "stubborn");
  });

  test("env is resolved (value, fieldRef, configMapKeyRef, secretKeyRef, envFrom, optional) and served by kubectl logs", async () => {
    const { core } = clients();
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: "settings" }, data: { LEVEL: "debug", REGION: "eu" } },
    });
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: "creds" }, stringData: { password: "s3cret" } },
    });
    const keys = [
      "GREETING",
      "POD_NAME",
      "POD_NS",
      "NODE",
      "LEVEL",
      "CFG_REGION",
      "PASSWORD",
      "MISSING",
      "KUBERNETES_SERVICE_HOST",
    ];
    const script = `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(keys)}.map((k) => [k, process.env[k] ?? null]))))`;
    await core.createNamespacedPod({
      namespace: ns.name,
      body: nodePod("env", script, {
        container: {
          envFrom: [
            { prefix: "CFG_", configMapRef: { name: "settings" } },
            { secretRef: { name: "absent", optional: true } },
          ],
          env: [
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            { name: "GREETING", value: "hello $(POD_NAME)" },
            { name: "POD_NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
            { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
            { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "settings", key: "LEVEL" } } },
            { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
            {
              name: "MISSING",
              valueFrom: { configMapKeyRef: { name: "settings", key: "nope", optional: true } },
            },
          ],
        },
      }),
    });
    await waitFor(
      "pod env Succeeded",
      () => core.readNamespacedPod({ name: "env", namespace: ns.name }),
      phaseIs("Succeeded"),
    );
    const logs = await kubectl(["logs", "-n", ns.name, "env"]);
    expect(logs.stderr).toBe("");
    expect(JSON.parse(logs.stdout)).toEqual({
      GREETING: "hello env",
      POD_NAME: "env",
      POD_NS: ns.name,
      NODE: "local-node",
      LEVEL: "debug",
      CFG_REGION: "eu",
      PASSWORD: "s3cret",
      MISSING: null,
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
    });
  });

  test("kubectl logs -f follows a running container until it exits", async () => {
    const { core } = clients();
    const script = `let i = 0; const t = setInterval(() => { console.log("line " + ++i); if (i === 5) { clearInterval(t); } }, 300);`;
    await core.createNamespacedPod({ namespace: ns.name, body: nodePod("chatty", script) });
    await waitFor(
      "pod chatty Running",
      () => core.readNamespacedPod({ name: "chatty", namespace: ns.name }),
      phaseIs("Running", "Succeeded"),
    );
    const followed = await kubectl(["logs", "-f", "-n", ns.name, "chatty"], 30_000);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout.trim().split("\n")).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
    const tail = await kubectl(["logs", "--tail=2", "-n", ns.name, "chatty"]);
    expect(tail.stdout.trim().split("\n")).toEqual(["line 4", "line 5"]);
  });

  test("a missing required ConfigMap keeps the container waiting with CreateContainerConfigError", async () => {
    const { core } = clients();
    await core.createNamespacedPod({
      namespace: ns.name,
      body: nodePod("no-config", "process.exit(0)", {
        container: { env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "later", key: "x" } } }] },
      }),
    });
    const pod = await waitFor(
      "pod no-config waiting on its ConfigMap",
      () => core.readNamespacedPod({ name: "no-config", namespace: ns.name }),
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CreateContainerConfigError",
    );
    expect(pod.status?.phase).toBe("Pending");
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain(
      'configmap "later" not found',
    );
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: "later" }, data: { x: "1" } },
    });
    await waitFor(
      "pod no-config Succeeded",
      () => core.readNamespacedPod({ name: "no-config", namespace: ns.name }),
      phaseIs("Succeeded"),
    );
  });

  test("volumes are mounted at their mountPath in the container's own mount namespace, as runAsUser", async () => {
    const { core } = clients();
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: "files" }, data: { "app.json": '{"ok":true}' } },
    });
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: "keys" }, stringData: { key: "k1" } },
    });
    const script = `const fs = require("fs");
      fs.writeFileSync("/scratch/out", "x");
      console.log(JSON.stringify({
        config: fs.readFileSync("/etc/app/app.json", "utf8"),
        secret: fs.readFileSync("/etc/keys/key", "utf8"),
        scratch: fs.readFileSync("/scratch/out", "utf8"),
        uid: process.getuid(), gid: process.getgid(),
      }));`;
    await core.createNamespacedPod({
      namespace: ns.name,
      body: nodePod("volumes", script, {
        pod: {
          securityContext: { runAsUser: 1234, runAsGroup: 2345 },
          volumes: [
            { name: "config", configMap: { name: "files" } },
            { name: "keys", secret: { secretName: "keys" } },
            { name: "scratch", emptyDir: {} },
          ],
        },
        container: {
          volumeMounts: [
            { name: "config", mountPath: "/etc/app", readOnly: true },
            { name: "keys", mountPath: "/etc/keys", readOnly: true },
            { name: "scratch", mountPath: "/scratch" },
          ],
        },
      }),
    });
    const pod = await waitFor(
      "pod volumes terminal",
      () => core.readNamespacedPod({ name: "volumes", namespace: ns.name }),
      phaseIs("Succeeded", "Failed"),
    );
    const logs = await kubectl(["logs", "-n", ns.name, "volumes"]);
    expect(pod.status?.phase, logs.stdout).toBe("Succeeded");
    expect(JSON.parse(logs.stdout)).toEqual({
      config: '{"ok":true}',
      secret: "k1",
      scratch: "x",
      uid: 1234,
      gid: 2345,
    });
  });

  test("a working directory under a volume's mountPath stays the host directory (a checkout under /tmp with an emptyDir at /tmp)", async () => {
    const { core } = clients();
    const workDir = mkdtempSync(join(tmpdir(), "e2e-workdir-"));
    chmodSync(workDir, 0o755);
    writeFileSync(join(workDir, "marker.txt"), "from the host");
    writeFileSync(join(workDir, "..", "unrelated-host-file"), "host only");
    const script = `const fs = require("fs");
      fs.writeFileSync("/tmp/scratch", "y");
      console.log(JSON.stringify({ marker: fs.readFileSync("marker.txt", "utf8"), cwd: process.cwd(),
        tmpIsVolume: !fs.existsSync(${JSON.stringify(join(workDir, "..", "unrelated-host-file"))}) }));`;
    await core.createNamespacedPod({
      namespace: ns.name,
      body: nodePod("covered-workdir", script, {
        pod: {
          securityContext: { runAsUser: 1234, runAsGroup: 2345 },
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
        container: { workingDir: workDir, volumeMounts: [{ name: "tmp", mountPath: tmpdir() }] },
      }),
    });
    const pod = await waitFor(
      "pod covered-workdir terminal",
      () => core.readNamespacedPod({ name: "covered-workdir", namespace: ns.name }),
      phaseIs("Succeeded", "Failed"),
    );
    const logs = await kubectl(["logs", "-n", ns.name, "covered-workdir"]);
    expect(pod.status?.phase, logs.stdout + logs.stderr).toBe("Succeeded");
    expect(JSON.parse(logs.stdout)).toEqual({ marker: "from the host", cwd: workDir, tmpIsVolume: true });
    // The container's writes to /tmp went to its emptyDir, not to the host's /tmp.
    expect(existsSync(join(tmpdir(), "scratch"))).toBe(false);
  });

  test("a readiness probe gates Ready; a failing liveness probe (exec in the container's namespace) restarts it", async () => {
    const { core } = clients();
    const port = await freePort();
    // Listens after 1.5 s; removes its health file after 2 s, which the liveness probe reads.
    const script = `const fs = require("fs");
      fs.writeFileSync("/health/ok", "1");
      setTimeout(() => require("http").createServer((q, r) => r.end("ok")).listen(${port}, "127.0.0.1"), 1500);
      setTimeout(() => fs.rmSync("/health/ok"), 2000);`;
    await core.createNamespacedPod({
      namespace: ns.name,
      body: nodePod("probed", script, {
        pod: {
          restartPolicy: "Always",
          terminationGracePeriodSeconds: 1,
          volumes: [{ name: "health", emptyDir: {} }],
        },
        container: {
          ports: [{ name: "http", containerPort: port }],
          volumeMounts: [{ name: "health", mountPath: "/health" }],
          readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 1 },
          livenessProbe: { exec: { command: ["cat", "/health/ok"] }, periodSeconds: 1, failureThreshold: 2 },
        },
      }),
    });
    const running = await waitFor(
      "pod probed Running",
      () => core.readNamespacedPod({ name: "probed", namespace: ns.name }),
      phaseIs("Running"),
    );
    expect(running.status?.containerStatuses?.[0]?.ready).toBe(false);
    await waitFor(
      "pod probed Ready",
      () => core.readNamespacedPod({ name: "probed", namespace: ns.name }),
      (p) => hasCondition(p, "Ready"),
      15_000,
    );
    const restarted = await waitFor(
      "pod probed restarted by its liveness probe",
      () => core.readNamespacedPod({ name: "probed", namespace: ns.name }),
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      20_000,
    );
    expect(restarted.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(143);
    expect(restarted.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe("CrashLoopBackOff");
    await core.deleteNamespacedPod({ name: "probed", namespace: ns.name, gracePeriodSeconds: 0 });
  });
});
