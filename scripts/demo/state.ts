// The demo's state under .cache/demo (SYNTHETIQ_DEMO_DIR moves it): ports, the generated Redis
// password and whether the demo started the cluster, so that a second run reuses what is up and
// `down` stops what the demo started.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/cluster/layout.ts";

export const DEMO_DIR = process.env.SYNTHETIQ_DEMO_DIR ?? join(REPO_ROOT, ".cache", "demo");
export const NAMESPACE = "synthetiq-demo";
export const RELEASE = "demo";

export interface DemoState {
  ports: {
    redis: number;
    postgres: number;
    smtp: number;
    mailWeb: number;
    prometheus: number;
    operator: number;
  };
  /** Local to this machine's demo; kept in the state file (mode 600) and a Secret. */
  redisPassword: string;
  /** True when the demo started the local cluster (then `down` stops it). */
  startedCluster: boolean;
}

export const paths = {
  state: join(DEMO_DIR, "state.json"),
  logs: join(DEMO_DIR, "logs"),
  pids: join(DEMO_DIR, "pids"),
  artifacts: join(DEMO_DIR, "artifacts"),
  mails: join(DEMO_DIR, "mails"),
  postgres: join(DEMO_DIR, "postgres"),
  prometheus: join(DEMO_DIR, "prometheus"),
  redis: join(DEMO_DIR, "redis"),
};

export function readState(): DemoState | undefined {
  return existsSync(paths.state) ? (JSON.parse(readFileSync(paths.state, "utf8")) as DemoState) : undefined;
}

export function writeState(state: DemoState) {
  mkdirSync(DEMO_DIR, { recursive: true });
  writeFileSync(paths.state, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
