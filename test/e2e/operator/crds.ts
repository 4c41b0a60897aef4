// Applies the generated CRDs (crds/*.yaml) to a cluster and waits until they are served. Plain
// module (no vitest imports), shared by the e2e tests and the benchmark.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { KubeClient } from "../../../src/operator/kube/client.ts";
import { isAlreadyExists } from "../../../src/operator/kube/errors.ts";

const CRDS = ["crds/taskruns.tasks.synthetiq.io.yaml", "crds/taskqueues.tasks.synthetiq.io.yaml"];

/** Creates or updates the generated CRDs and waits until they are served. */
export async function applyCrds(client: KubeClient) {
  for (const file of CRDS) {
    const crd = parse(readFileSync(file, "utf8")) as { metadata: { name: string } };
    const path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    try {
      await client.create(path, crd);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const live = await client.get<{ metadata: { resourceVersion: string } }>(
        `${path}/${crd.metadata.name}`,
      );
      await client.replace(`${path}/${crd.metadata.name}`, {
        ...crd,
        metadata: { ...crd.metadata, resourceVersion: live.metadata.resourceVersion },
      });
    }
    for (let i = 0; ; i++) {
      const live = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
        `${path}/${crd.metadata.name}`,
      );
      if (live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (i > 300) throw new Error(`CRD ${crd.metadata.name} not established after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
