// Which globals a pickle may import: a dangerous list (code execution, files, network, nested
// loaders), a safe-list (what torch.save / numpy / collections pickles normally use), and the rest
// "unknown". Pure. Modules marked "*" are dangerous with all their submodules.

export type GlobalSafety = "dangerous" | "safe" | "unknown";

type NameFilter = "*" | ReadonlySet<string> | RegExp;

const DANGEROUS: Record<string, NameFilter> = {
  os: "*",
  posix: "*",
  nt: "*",
  subprocess: "*",
  socket: "*",
  ssl: "*",
  runpy: "*",
  webbrowser: "*",
  shutil: "*",
  pty: "*",
  sys: "*",
  ctypes: "*",
  asyncio: "*",
  aiohttp: "*",
  bdb: "*",
  pdb: "*",
  commands: "*",
  httplib: "*",
  "http.client": "*",
  "urllib.request": "*",
  requests: "*",
  pickle: "*",
  _pickle: "*",
  marshal: "*",
  importlib: "*",
  pip: "*",
  pydoc: "*",
  timeit: "*",
  venv: "*",
  multiprocessing: "*",
  code: "*",
  "numpy.testing._private.utils": "*",
  "numpy.f2py": "*",
  "torch.hub": "*",
  builtins: new Set([
    "eval",
    "exec",
    "execfile",
    "compile",
    "open",
    "getattr",
    "setattr",
    "delattr",
    "__import__",
    "breakpoint",
    "apply",
    "input",
    "globals",
    "locals",
    "vars",
    "memoryview",
  ]),
  functools: new Set(["partial", "reduce"]),
  operator: new Set(["attrgetter", "itemgetter", "methodcaller"]),
  _operator: new Set(["attrgetter", "itemgetter", "methodcaller"]),
  io: new Set(["FileIO", "open", "open_code"]),
  _io: new Set(["FileIO", "open", "open_code"]),
  types: new Set(["FunctionType", "CodeType", "LambdaType", "MethodType"]),
  cProfile: new Set(["run", "runctx"]),
  profile: new Set(["run", "runctx", "Profile.run", "Profile.runctx"]),
  trace: new Set(["Trace.run", "Trace.runctx"]),
  doctest: new Set(["debug_script"]),
  "torch.serialization": new Set(["load"]),
  torch: new Set(["load"]),
  "torch.storage": new Set(["_load_from_bytes"]),
};

const TORCH_REBUILDERS = new Set([
  "_rebuild_tensor",
  "_rebuild_tensor_v2",
  "_rebuild_tensor_v3",
  "_rebuild_parameter",
  "_rebuild_parameter_with_state",
  "_rebuild_qtensor",
  "_rebuild_sparse_tensor",
  "_rebuild_device_tensor_from_numpy",
  "_rebuild_meta_tensor_no_storage",
  "_rebuild_wrapper_subclass",
  "_rebuild_nested_tensor",
]);

const SAFE: Record<string, NameFilter> = {
  collections: new Set(["OrderedDict", "defaultdict", "deque", "Counter"]),
  "torch._utils": TORCH_REBUILDERS,
  "torch._tensor": new Set(["_rebuild_from_type_v2"]),
  "torch.nn.parameter": new Set(["Parameter"]),
  // torch.FloatStorage, torch.Size, torch.device and the dtypes (torch.float32, torch.bfloat16, ...)
  torch:
    /^(?:\w+Storage|Size|device|dtype|Tensor|strided|sparse_coo|(?:b?float|u?int|complex|q?u?int)\d*(?:_\w+)?|bool|half|double|long|short)$/,
  numpy: new Set(["dtype", "ndarray"]),
  "numpy.core.multiarray": new Set(["_reconstruct", "scalar"]),
  "numpy._core.multiarray": new Set(["_reconstruct", "scalar"]),
  "numpy.core.numeric": new Set(["_frombuffer"]),
  "numpy._core.numeric": new Set(["_frombuffer"]),
  "numpy.dtypes": /^\w+DType$/,
  builtins: new Set([
    "set",
    "frozenset",
    "slice",
    "range",
    "complex",
    "bytearray",
    "bytes",
    "dict",
    "list",
    "tuple",
    "int",
    "float",
    "str",
    "bool",
  ]),
  _codecs: new Set(["encode"]),
  copyreg: new Set(["_reconstructor"]),
  datetime: new Set(["datetime", "date", "time", "timedelta", "timezone"]),
  decimal: new Set(["Decimal"]),
  uuid: new Set(["UUID"]),
};

/** Python 2 names that Python 3's unpickler maps (fix_imports) before importing. */
const PY2_MODULES: Record<string, string> = {
  __builtin__: "builtins",
  copy_reg: "copyreg",
  exceptions: "builtins",
};

export function normalizeModule(module: string): string {
  return PY2_MODULES[module] ?? module;
}

function matches(filter: NameFilter | undefined, name: string): boolean {
  if (filter === undefined) return false;
  if (filter === "*") return true;
  if (filter instanceof RegExp) return filter.test(name);
  // A qualified name ("Profile.run") or its first part ("system" in "system.__call__").
  return filter.has(name) || filter.has(name.split(".")[0] ?? name);
}

export function classifyGlobal(rawModule: string, name: string): GlobalSafety {
  const module = normalizeModule(rawModule);
  const parts = module.split(".");
  for (let i = parts.length; i >= 1; i--) {
    const filter = DANGEROUS[parts.slice(0, i).join(".")];
    if (i === parts.length ? matches(filter, name) : filter === "*") return "dangerous";
  }
  return matches(SAFE[module], name) ? "safe" : "unknown";
}
