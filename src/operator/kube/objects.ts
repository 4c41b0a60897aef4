// The fields of core Kubernetes objects the operator reads, as plain JSON (timestamps are RFC 3339
// strings). Only what is used is typed; everything else passes through untouched.
import type { ObjectMeta } from "../api/taskrun.ts";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Job extends KubeObject {
  spec?: { suspend?: boolean; activeDeadlineSeconds?: number; [key: string]: unknown };
  status?: {
    startTime?: string;
    completionTime?: string;
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: JobCondition[];
  };
}

export interface ContainerStatus {
  name: string;
  state?: {
    running?: { startedAt?: string };
    waiting?: { reason?: string; message?: string };
    terminated?: { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string };
  };
}

export interface Pod extends KubeObject {
  status?: {
    phase?: string;
    startTime?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface CronJob extends KubeObject {
  spec?: Record<string, unknown>;
  status?: { lastScheduleTime?: string; active?: Array<{ name: string }> };
}

export function isControlledBy(object: KubeObject, uid: string | undefined): boolean {
  return object.metadata.ownerReferences?.some((o) => o.controller && o.uid === uid) ?? false;
}
