// What the scanner reports: findings (severity, rule, location, message), the rule catalogue that
// SARIF describes, and the verdict rule (pure).

export type Severity = "critical" | "high" | "medium" | "low" | "info";
export type Verdict = "malicious" | "suspicious" | "clean";

export interface Finding {
  severity: Severity;
  ruleId: RuleId;
  /** File path inside the scanned artifact; "a.zip!inner/data.pkl" for archive members. */
  location: string;
  /** Byte offset inside that file, when meaningful (pickle opcodes, headers). */
  offset?: number;
  message: string;
}

export const RULES = {
  PICKLE001: {
    name: "pickle-dangerous-global",
    severity: "critical",
    text: "A pickle imports a callable that can run code, touch files or the network.",
  },
  PICKLE002: {
    name: "pickle-unknown-global",
    severity: "medium",
    text: "A pickle imports a global outside the safe-list (review it).",
  },
  PICKLE003: {
    name: "pickle-unresolved-global",
    severity: "critical",
    text: "A pickle builds a global from values the scanner cannot resolve (a common evasion).",
  },
  PICKLE004: {
    name: "pickle-malformed",
    severity: "medium",
    text: "A pickle stream is malformed or truncated; a loader may still run what precedes the error.",
  },
  PICKLE005: {
    name: "pickle-extension-code",
    severity: "high",
    text: "A pickle imports through the copyreg extension registry (EXT1/2/4).",
  },
  NUMPY001: {
    name: "numpy-object-array",
    severity: "medium",
    text: "A NumPy array of Python objects: loading needs allow_pickle=True; its pickle is scanned too.",
  },
  NUMPY002: { name: "numpy-header-invalid", severity: "medium", text: "A .npy header is malformed." },
  SAFETENSORS001: {
    name: "safetensors-header-invalid",
    severity: "high",
    text: "A safetensors header length or JSON is invalid.",
  },
  SAFETENSORS002: {
    name: "safetensors-tensor-inconsistent",
    severity: "high",
    text: "A safetensors tensor's dtype, shape and offsets disagree or point outside the data.",
  },
  SAFETENSORS003: {
    name: "safetensors-overlap",
    severity: "high",
    text: "Two safetensors tensors share bytes.",
  },
  SAFETENSORS004: {
    name: "safetensors-unindexed-data",
    severity: "medium",
    text: "A safetensors data buffer has gaps or trailing bytes no tensor describes.",
  },
  ARCHIVE001: {
    name: "archive-path-traversal",
    severity: "high",
    text: "An archive member's path escapes the extraction directory.",
  },
  ARCHIVE002: {
    name: "archive-link",
    severity: "medium",
    text: "An archive contains a symbolic or hard link.",
  },
  ARCHIVE003: {
    name: "archive-bomb",
    severity: "high",
    text: "An archive expands beyond the compression-ratio or size limit.",
  },
  ARCHIVE004: {
    name: "archive-malformed",
    severity: "medium",
    text: "An archive is malformed, too deep or has too many members to scan.",
  },
  KERAS001: {
    name: "keras-lambda-layer",
    severity: "high",
    text: "A Keras model contains a Lambda layer (serialized Python code run on load).",
  },
  ONNX001: {
    name: "onnx-external-data-path",
    severity: "high",
    text: "An ONNX tensor's external data location is absolute or escapes the model directory.",
  },
} as const satisfies Record<string, { name: string; severity: Severity; text: string }>;

export type RuleId = keyof typeof RULES;

export function finding(
  ruleId: RuleId,
  location: string,
  message: string,
  extra?: { offset?: number; severity?: Severity },
): Finding {
  return {
    severity: extra?.severity ?? RULES[ruleId].severity,
    ruleId,
    location,
    ...(extra?.offset === undefined ? {} : { offset: extra.offset }),
    message,
  };
}

export const SEVERITY_ORDER: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

/** malicious: any critical finding; suspicious: any high or medium; clean otherwise. */
export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.severity === "critical")) return "malicious";
  if (findings.some((f) => f.severity === "high" || f.severity === "medium")) return "suspicious";
  return "clean";
}
