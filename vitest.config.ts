import { defineConfig } from "vitest/config";

// Three projects: pure unit tests, integration tests against real servers on loopback (Redis,
// Postgres, SMTP, moto, a registry), and end-to-end tests on the local Kubernetes cluster. The root
// globalSetup builds dist/ once per run, before the projects' own.
export default defineConfig({
  test: {
    globalSetup: ["test/harness/build-setup.ts"],
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/harness/services-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/harness/services-setup.ts", "test/harness/cluster-setup.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
