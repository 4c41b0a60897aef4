import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeDrift } from "../../../scripts/generate-schemas.ts";
import { customResourceDefinition, toStructural } from "../../../src/operator/api/crd.ts";
import { taskQueueCrd } from "../../../src/operator/api/taskqueue.ts";
import { taskRunCrd, taskRunSpec } from "../../../src/operator/api/taskrun.ts";

type Node = Record<string, unknown>;

/** Every schema node, with its path. */
function* walk(node: Node, path = "$"): Generator<[string, Node]> {
  yield [path, node];
  for (const [k, v] of Object.entries((node.properties as Record<string, Node>) ?? {}))
    yield* walk(v, `${path}.${k}`);
  if (node.items) yield* walk(node.items as Node, `${path}[]`);
  if (typeof node.additionalProperties === "object")
    yield* walk(node.additionalProperties as Node, `${path}{}`);
}

describe("generated CRDs", () => {
  for (const def of [taskRunCrd, taskQueueCrd]) {
    it(`${def.kind}: a structural schema (typed nodes, no properties beside additionalProperties, no $schema)`, () => {
      const crd = customResourceDefinition(def) as {
        spec: { versions: Array<{ schema: { openAPIV3Schema: Node } }> };
      };
      const root = crd.spec.versions[0]!.schema.openAPIV3Schema;
      for (const [path, node] of walk(root)) {
        if (node["x-kubernetes-preserve-unknown-fields"]) continue;
        expect(node.type, path).toBeTypeOf("string");
        expect(node.properties && node.additionalProperties, path).toBeFalsy();
        expect(node.$schema, path).toBeUndefined();
        expect(node.propertyNames, path).toBeUndefined();
        if (
          node.type === "string" &&
          node.format !== "date-time" &&
          path !== "$.apiVersion" &&
          path !== "$.kind"
        ) {
          expect(node.maxLength ?? node.enum, `${path} needs maxLength to keep CEL cost low`).toBeDefined();
        }
        if (node.type === "array") expect(node.maxItems, `${path} needs maxItems`).toBeDefined();
      }
    });
  }

  it("TaskRun: no short name tr, category tasks, status subresource, the printer columns a monitor needs", () => {
    const crd = customResourceDefinition(taskRunCrd) as {
      spec: {
        names: Node;
        versions: Array<{ subresources: Node; additionalPrinterColumns: Array<{ name: string }> }>;
      };
    };
    expect(crd.spec.names.shortNames).toBeUndefined();
    expect(crd.spec.names.categories).toEqual(["tasks"]);
    expect(crd.spec.versions[0]!.subresources).toEqual({ status: {} });
    expect(crd.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name)).toEqual(
      expect.arrayContaining(["Task", "Queue", "Phase", "Attempts", "Age", "Duration"]),
    );
  });

  it("input keeps unknown fields and is immutable; timeouts and runAt/expiresAt carry their CEL rules", () => {
    const spec = (
      customResourceDefinition(taskRunCrd) as {
        spec: { versions: Array<{ schema: { openAPIV3Schema: Node } }> };
      }
    ).spec.versions[0]!.schema.openAPIV3Schema.properties as Record<string, Node>;
    const props = spec.spec!.properties as Record<string, Node>;
    expect(props.input).toMatchObject({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
    expect(JSON.stringify(props.input)).toContain("self == oldSelf");
    expect(JSON.stringify(props.timeouts)).toContain("self.softSeconds < self.hardSeconds");
    expect(JSON.stringify(spec.spec)).toContain("self.runAt < self.expiresAt");
  });

  it("toStructural drops zod's unbounded integer limits and date-time regexes", () => {
    const out = toStructural(z.toJSONSchema(z.object({ n: z.int(), t: z.iso.datetime() })) as Node);
    const props = out.properties as Record<string, Node>;
    expect(props.n).toEqual({ type: "integer" });
    expect(props.t).toEqual({ type: "string", format: "date-time" });
  });

  it("the zod spec accepts what the CRD describes and names a bad field", () => {
    expect(taskRunSpec.safeParse({ task: "email.send_welcome_email", input: { to: "a@b.c" } }).success).toBe(
      true,
    );
    const bad = taskRunSpec.safeParse({ task: "Email", retry: { maxAttempts: 0 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual(
      expect.arrayContaining(["task", "retry.maxAttempts"]),
    );
  });

  it("the drift check shows the first differing lines", () => {
    const diff = describeDrift("crds/x.yaml", "a\nb\nc\nd\n", "a\nb\nX\nd\n");
    expect(diff).toContain("- c");
    expect(diff).toContain("+ X");
    expect(diff).toContain("@@ line 3 @@");
  });
});
