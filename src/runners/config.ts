// The runner's configuration, read from the environment and validated once at start-up, then
// passed down. Each integration has its own section; secrets arrive as env vars from Secret refs.
import { z } from "zod";

export const runnerConfigSchema = z.object({
  redis: z.object({
    url: z.string().default("redis://127.0.0.1:6379"),
    password: z.string().optional(),
    tls: z.boolean().default(false),
  }),
});

export type RunnerConfig = z.infer<typeof runnerConfigSchema>;
