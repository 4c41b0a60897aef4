// Turns the zod resource definitions into CustomResourceDefinitions and JSON Schemas: the JSON
// Schema zod emits is rewritten into a Kubernetes structural schema (no $schema, no
// additionalProperties beside properties, no unsupported keywords, no unbounded integer limits).
import { z } from "zod";
import { GROUP, VERSION } from "./common.ts";

export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "number" | "boolean" | "date";
  readonly jsonPath: string;
  readonly priority?: number;
}

export interface ResourceDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames?: readonly string[];
  readonly categories: readonly string[];
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly printerColumns: readonly PrinterColumn[];
  /** A limit on metadata.name below Kubernetes' 253 (the one metadata restriction a CRD may make). */
  readonly maxNameLength?: number;
}

type Schema = Record<string, unknown>;

const UNSUPPORTED = new Set(["$schema", "propertyNames", "$id", "id", "examples", "const"]);

/** Rewrites one zod-emitted JSON Schema node (and its children) into structural form. */
export function toStructural(node: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (UNSUPPORTED.has(key)) continue;
    if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toStructural(v)]),
      );
    } else if (key === "items") {
      out.items = toStructural(value as Schema);
    } else if (key === "additionalProperties") {
      if (typeof value === "object" && value !== null && Object.keys(value).length > 0) {
        out.additionalProperties = toStructural(value as Schema);
      }
    } else {
      out[key] = value;
    }
  }
  // A bounded key set (properties) and a free-form map are mutually exclusive in Kubernetes.
  if (out.properties && Object.keys(out.properties as Schema).length === 0) delete out.properties;
  if (out["x-kubernetes-preserve-unknown-fields"]) {
    delete out.properties;
    delete out.additionalProperties;
  }
  // Dates: Kubernetes checks format date-time itself; zod's regex is not RE2-safe.
  if (out.format === "date-time") delete out.pattern;
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  return out;
}

/** The JSON Schema of a zod type (draft 2020-12, for editors and API clients). */
export function jsonSchemaOf(type: z.ZodType): Schema {
  return z.toJSONSchema(type, { target: "draft-2020-12", io: "input" }) as Schema;
}

export function openApiSchemaOf(type: z.ZodType): Schema {
  return toStructural(z.toJSONSchema(type, { target: "openapi-3.0", io: "input" }) as Schema);
}

export function customResourceDefinition(def: ResourceDefinition): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${def.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames ? { shortNames: [...def.shortNames] } : {}),
        categories: [...def.categories],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
          schema: {
            openAPIV3Schema: {
              type: "object",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: def.maxNameLength
                  ? { type: "object", properties: { name: { type: "string", maxLength: def.maxNameLength } } }
                  : { type: "object" },
                spec: openApiSchemaOf(def.spec),
                status: openApiSchemaOf(def.status),
              },
            },
          },
        },
      ],
    },
  };
}
