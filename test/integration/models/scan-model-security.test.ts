// models.scan_model_security on samples made by real Python (every pickle protocol, a torch.save-
// shaped zip, numpy object arrays, safetensors good and bad, archives with traversal, links and a
// bomb, Keras Lambda, ONNX external data), with picklescan as a peer on the same files.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LocalArtifactStore } from "../../../src/runners/artifacts/local.ts";
import { scanModelSecurity } from "../../../src/runners/models/scan/task.ts";
import { runTaskInProcess } from "../../../src/runners/sdk/in-process.ts";
import { generateSamples, picklescan, type Sample } from "./samples.ts";

type ScanOutput = {
  verdict: string;
  findings: { severity: string; ruleId: string; location: string; message: string }[];
  files: { path: string; bytes: number; sha256: string; format: string }[];
  reportKey: string;
  sarifKey: string;
};

/**
 * Where we deliberately disagree with picklescan on a file it understands, and why.
 * The test proves each one still differs, so this list cannot go stale.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  "import_os_p2.pkl":
    "builtins.__import__ is not on picklescan's dangerous list (it calls it 'suspicious'); __import__('os') hands the attacker any module, so we call it dangerous.",
};

let dir: string;
let store: LocalArtifactStore;
let samples: Sample[];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "scan-test-"));
  samples = await generateSamples(join(dir, "samples"));
  store = new LocalArtifactStore(join(dir, "artifacts"));
  for (const s of samples) await store.put(`samples/${s.file}`, readFileSync(join(dir, "samples", s.file)));
  server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? "/").slice(1));
    const sample = samples.find((s) => s.file === name);
    if (!sample) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(join(dir, "samples", name)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function scan(input: unknown) {
  return runTaskInProcess(scanModelSecurity, input, {
    redisUrl: inject("redisUrl"),
    config: { artifacts: { dir: store.root } },
  });
}

async function scanSample(file: string): Promise<ScanOutput> {
  const record = await scan({ source: { artifactKey: `samples/${file}` }, reportPrefix: `reports/${file}` });
  expect(record.error).toBeUndefined();
  expect(record.status).toBe("succeeded");
  return record.output as ScanOutput;
}

describe("models.scan_model_security", () => {
  it("gives every sample the verdict it was built to deserve", async () => {
    const wrong: string[] = [];
    for (const sample of samples) {
      const output = await scanSample(sample.file);
      if (output.verdict !== sample.expect) {
        wrong.push(
          `${sample.file}: expected ${sample.expect}, got ${output.verdict} (${output.findings.map((f) => f.ruleId).join(",")})`,
        );
      }
    }
    expect(wrong).toEqual([]);
  });

  it("names the dangerous callable and where it is, for every pickle protocol", async () => {
    for (let protocol = 0; protocol <= 5; protocol++) {
      const output = await scanSample(`os_system_p${protocol}.pkl`);
      const finding = output.findings.find((f) => f.ruleId === "PICKLE001");
      expect(finding?.message).toMatch(/posix\.system/);
      expect(finding?.location).toBe(`samples/os_system_p${protocol}.pkl`);
      expect(finding?.severity).toBe("critical");
    }
  });

  it("finds the pickle inside a torch.save-shaped zip and inside an .npz object array", async () => {
    const checkpoint = await scanSample("checkpoint_malicious.pt");
    expect(checkpoint.findings.map((f) => f.location)).toContain(
      "samples/checkpoint_malicious.pt!archive/data.pkl",
    );
    const benign = await scanSample("checkpoint_benign.pt");
    expect(benign.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "samples/checkpoint_benign.pt!archive/data.pkl",
        "samples/checkpoint_benign.pt!archive/data/0",
      ]),
    );
    const npz = await scanSample("arrays_malicious.npz");
    expect(npz.findings.map((f) => f.ruleId).sort()).toEqual(["NUMPY001", "PICKLE001"]);
  });

  it("reports the SHA-256 of every file, archive members included", async () => {
    const output = await scanSample("good.safetensors");
    const bytes = readFileSync(join(dir, "samples", "good.safetensors"));
    expect(output.files).toEqual([
      {
        path: "samples/good.safetensors",
        bytes: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        format: "safetensors",
      },
    ]);
  });

  it("stores the JSON report and a SARIF 2.1.0 log with one result per finding", async () => {
    const output = await scanSample("traversal.tar");
    const report = JSON.parse((await buffer(await store.get(output.reportKey))).toString());
    const sarif = JSON.parse((await buffer(await store.get(output.sarifKey))).toString());
    expect(report.findings).toHaveLength(output.findings.length);
    expect(sarif.version).toBe("2.1.0");
    const run = sarif.runs[0];
    expect(run.results).toHaveLength(output.findings.length);
    const ruleIds = run.tool.driver.rules.map((r: { id: string }) => r.id);
    for (const result of run.results) expect(ruleIds[result.ruleIndex]).toBe(result.ruleId);
    expect(run.artifacts.map((a: { location: { uri: string } }) => a.location.uri)).toContain(
      "samples/traversal.tar",
    );
    expect(run.results.map((r: { level: string }) => r.level)).toContain("error");
  });

  it("agrees with picklescan on every sample picklescan understands, except the documented differences", async () => {
    const disagreements: string[] = [];
    const understood: string[] = [];
    for (const sample of samples) {
      const peer = await picklescan(join(dir, "samples", sample.file));
      if (peer === 2) continue; // picklescan could not parse it (safetensors, ONNX, tar, .npy with numpy 2)
      understood.push(sample.file);
      const ours = (await scanSample(sample.file)).verdict;
      if ((ours === "malicious") !== (peer === 1)) disagreements.push(sample.file);
    }
    expect(understood.length).toBeGreaterThan(20);
    expect(disagreements.sort()).toEqual(Object.keys(KNOWN_DIFFERENCES).sort());
  });

  it("scans every object under a prefix as one model directory", async () => {
    await store.put("models/m1/model.safetensors", readFileSync(join(dir, "samples", "good.safetensors")));
    await store.put("models/m1/extra/optimizer.pt", readFileSync(join(dir, "samples", "os_system_p2.pkl")));
    const record = await scan({ source: { artifactPrefix: "models/m1" }, reportPrefix: "reports/m1" });
    const output = record.output as ScanOutput;
    expect(output.files.map((f) => f.path).sort()).toEqual(["extra/optimizer.pt", "model.safetensors"]);
    expect(output.verdict).toBe("malicious");
    expect(output.findings[0]?.location).toBe("extra/optimizer.pt");
  });

  it("scans a file fetched from a URL", async () => {
    const record = await scan({ source: { url: `${baseUrl}/eval_p4.pkl` }, reportPrefix: "reports/url" });
    expect((record.output as ScanOutput).verdict).toBe("malicious");
  });

  it("fails permanently, naming the field, for a missing artifact or a 404 URL", async () => {
    const missing = await scan({ source: { artifactKey: "samples/nope.pkl" } });
    expect(missing.error).toMatchObject({ retryable: false });
    expect(missing.error?.message).toMatch(/source\.artifactKey.*nope\.pkl/);
    const notFound = await scan({ source: { url: `${baseUrl}/nope.pkl` } });
    expect(notFound.error).toMatchObject({ retryable: false });
    expect(notFound.error?.message).toMatch(/source\.url.*404/);
  });

  it("never shows a URL's query or credentials, and refuses credentials in the URL for good", async () => {
    const withCredentials = await scan({
      source: { url: `http://admin:hunter2secret@${new URL(baseUrl).host}/eval_p4.pkl` },
    });
    expect(withCredentials.error).toMatchObject({ type: "InvalidSource", retryable: false });
    expect(withCredentials.error?.message).toMatch(/credentials in the URL/);
    expect(JSON.stringify(withCredentials)).not.toContain("hunter2secret");
    // A server that is not there: a retryable failure, whose message names the host and path only.
    const closed = await scan({
      source: { url: "http://127.0.0.1:1/models/m.pkl?X-Amz-Signature=abcdef0123456789&token=sekrit123" },
    });
    expect(closed.error).toMatchObject({ retryable: true });
    expect(closed.error?.message).toMatch(/^source\.url http:\/\/127\.0\.0\.1:1\/models\/m\.pkl: /);
    expect(JSON.stringify(closed)).not.toMatch(/abcdef0123456789|sekrit123/);
  });

  it("refuses a download larger than maxDownloadBytes", async () => {
    const record = await scan({ source: { artifactKey: "samples/bomb.zip" }, maxDownloadBytes: 1000 });
    expect(record.error?.message).toMatch(/1000-byte limit/);
    expect(record.error?.retryable).toBe(false);
  });
});
