// The process node's configuration: command-line flags (kubelet-style names), validated once at
// start-up.
import { availableParallelism, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { z } from "zod";

const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, "a Kubernetes quantity such as 4, 500m or 8Gi");

export const NodeConfigSchema = z.object({
  nodeName: z.string().min(1),
  kubeconfig: z.string().min(1),
  apiserverPort: z.coerce.number().int().min(1).max(65535),
  kubeletPort: z.coerce.number().int().min(1).max(65535),
  tlsCertFile: z.string().min(1),
  tlsPrivateKeyFile: z.string().min(1),
  clientCaFile: z.string().min(1),
  podsDir: z.string().min(1),
  /** Declared capacity: defaults to the host's CPUs and memory and the kubelet's 110 pods. */
  capacity: z.object({ cpu: quantity, memory: quantity, pods: quantity, "ephemeral-storage": quantity }),
  /** Containers being prepared (token request, volumes, spawn) at once. */
  startConcurrency: z.coerce.number().int().min(1).max(256),
  /** API writes (status patches, deletions) in flight at once. */
  writeConcurrency: z.coerce.number().int().min(1).max(256),
});
export type NodeConfig = z.infer<typeof NodeConfigSchema>;

/** Flags as `--node-name=...`; capacity overrides as `--capacity=cpu=16,pods=250`. */
export function parseNodeConfig(argv: string[]): NodeConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      "node-name": { type: "string" },
      kubeconfig: { type: "string" },
      "apiserver-port": { type: "string" },
      "kubelet-port": { type: "string" },
      "tls-cert-file": { type: "string" },
      "tls-private-key-file": { type: "string" },
      "client-ca-file": { type: "string" },
      "pods-dir": { type: "string" },
      capacity: { type: "string", default: "" },
      "start-concurrency": { type: "string", default: "16" },
      "write-concurrency": { type: "string", default: "16" },
    },
    strict: true,
  });
  const overrides = Object.fromEntries(
    values.capacity
      .split(",")
      .filter(Boolean)
      .map((kv) => kv.split("=", 2) as [string, string]),
  );
  const parsed = NodeConfigSchema.safeParse({
    nodeName: values["node-name"],
    kubeconfig: values.kubeconfig,
    apiserverPort: values["apiserver-port"],
    kubeletPort: values["kubelet-port"],
    tlsCertFile: values["tls-cert-file"],
    tlsPrivateKeyFile: values["tls-private-key-file"],
    clientCaFile: values["client-ca-file"],
    podsDir: values["pods-dir"],
    capacity: {
      cpu: String(availableParallelism()),
      memory: `${Math.floor(totalmem() / 1024 / 1024)}Mi`,
      pods: "110",
      "ephemeral-storage": "100Gi",
      ...overrides,
    },
    startConcurrency: values["start-concurrency"],
    writeConcurrency: values["write-concurrency"],
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "flags"}: ${i.message}`);
    throw new Error(`invalid node flags: ${issues.join("; ")}`);
  }
  return parsed.data;
}
