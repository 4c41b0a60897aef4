// Schema pieces shared by the tasks.synthetiq.io resources: the API group, label keys, Kubernetes
// names, metav1.Condition, resource quantities and Secret/ConfigMap key references.
import { z } from "zod";

export const GROUP = "tasks.synthetiq.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Labels the operator puts on everything it creates. */
export const LABELS = {
  taskRun: `${GROUP}/taskrun`,
  task: `${GROUP}/task`,
  queue: `${GROUP}/queue`,
  attempt: `${GROUP}/attempt`,
  /** On a child TaskRun and its schedule's CronJob: the scheduled parent TaskRun. */
  schedule: `${GROUP}/schedule`,
} as const;

export const ANNOTATIONS = {
  /** On a slot's Job and child TaskRun: the slot's time (RFC 3339). */
  scheduledTime: `${GROUP}/scheduled-time`,
} as const;

/** A DNS-1123 subdomain (object names). */
export const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase DNS-1123 name");

/** A DNS-1123 label (names used inside labels, queues). */
export const labelName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a lowercase DNS-1123 label");

export const timestamp = z.iso.datetime({ offset: false });

/** A rule across fields, which a structural schema cannot say. */
export interface CrossFieldRule<T> {
  /** CEL, enforced by the API server (the generated CRD's x-kubernetes-validations). */
  rule: string;
  message: string;
  /** The field the message is about, relative to the object (".softSeconds"). */
  fieldPath?: string;
  /**
   * The same rule in TypeScript, so that the SDK and the HTTP API refuse an object before sending
   * it. Absent for transition rules (oldSelf): only the API server sees the old object.
   */
  holds?: (value: T) => boolean;
}

/** `schema` with `rules`, checked by zod here and by the API server from the CRD. */
export function withRules<S extends z.ZodType>(schema: S, rules: CrossFieldRule<z.output<S>>[]): S {
  return schema
    .superRefine((value, ctx) => {
      for (const { holds, message, fieldPath } of rules) {
        if (holds && !holds(value)) {
          ctx.addIssue({ code: "custom", message, path: fieldPath ? fieldPath.slice(1).split(".") : [] });
        }
      }
    })
    .meta({ "x-kubernetes-validations": rules.map(({ holds: _, ...cel }) => cel) });
}

/** metav1.Condition, as the Kubernetes API conventions define it. */
export const condition = z.object({
  type: z.string().min(1).max(316),
  status: z.enum(["True", "False", "Unknown"]),
  observedGeneration: z.int().min(0).optional(),
  lastTransitionTime: timestamp,
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof condition>;

export const conditionList = z
  .array(condition)
  .max(16)
  .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] });

/** A map of resource name → quantity ("500m", "256Mi"), as in a container's resources. */
const quantityMap = z.record(z.string().max(63), z.string().max(64));
export const resourceRequirements = z.object({
  requests: quantityMap.optional(),
  limits: quantityMap.optional(),
});

export const keyReference = z.object({
  name: objectName,
  key: z.string().min(1).max(253),
});
export type KeyReference = z.infer<typeof keyReference>;

/** Where a value comes from: a key of a Secret or of a ConfigMap in the same namespace. */
export const valueSource = withRules(
  z.object({
    secretKeyRef: keyReference.optional(),
    configMapKeyRef: keyReference.optional(),
  }),
  [
    {
      rule: "has(self.secretKeyRef) != has(self.configMapKeyRef)",
      message: "exactly one of secretKeyRef or configMapKeyRef must be set",
      holds: (v) => (v.secretKeyRef === undefined) !== (v.configMapKeyRef === undefined),
    },
  ],
);
export type ValueSource = z.infer<typeof valueSource>;

export const retryPolicy = z.object({
  maxAttempts: z.int().min(1).max(100).optional(),
  backoff: z
    .object({
      initialSeconds: z.int().min(0).max(86_400).optional(),
      factor: z.number().min(1).max(10).optional(),
      maxSeconds: z.int().min(0).max(86_400).optional(),
      jitter: z.number().min(0).max(1).optional(),
    })
    .optional(),
});
export type RetryPolicySpec = z.infer<typeof retryPolicy>;

export const timeouts = withRules(
  z.object({
    /** The runner's AbortSignal fires after this many seconds (Celery's soft time limit). */
    softSeconds: z.int().min(1).max(604_800).optional(),
    /** The Job's activeDeadlineSeconds: the pod is killed. */
    hardSeconds: z.int().min(1).max(604_800).optional(),
  }),
  [
    {
      rule: "!has(self.softSeconds) || !has(self.hardSeconds) || self.softSeconds < self.hardSeconds",
      message: "timeouts.softSeconds must be less than timeouts.hardSeconds",
      fieldPath: ".softSeconds",
      holds: (t) =>
        t.softSeconds === undefined || t.hardSeconds === undefined || t.softSeconds < t.hardSeconds,
    },
  ],
);
export type TimeoutsSpec = z.infer<typeof timeouts>;

/** Pod overrides a TaskRun or a TaskQueue may set. */
export const podOverrides = z.object({
  resources: resourceRequirements.optional(),
  serviceAccountName: objectName.optional(),
  nodeSelector: z.record(z.string().max(317), z.string().max(63)).optional(),
  priorityClassName: objectName.optional(),
  /** A scheduler other than the default one (a batch scheduler such as Volcano or YuniKorn). */
  schedulerName: objectName.optional(),
});
export type PodOverrides = z.infer<typeof podOverrides>;
