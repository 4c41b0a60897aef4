// Keras archives (.keras: a zip with config.json): Lambda layers carry serialized Python code that
// runs on load. Pure: walks the parsed config for {"class_name": "Lambda"} objects.

export function findLambdaLayers(config: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) walk(child, `${path}[${i}]`);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    if (record.class_name === "Lambda") {
      const name = (record.config as { name?: unknown } | undefined)?.name;
      found.push(typeof name === "string" ? name : path);
    }
    for (const [key, child] of Object.entries(record)) walk(child, `${path}.${key}`);
  };
  walk(config, "$");
  return found;
}
