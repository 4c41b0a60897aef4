// Archive member checks (pure): paths that escape the extraction directory, and link targets.

/** Why a member path escapes the extraction directory, or null. */
export function unsafeMemberPath(path: string): string | null {
  if (path.startsWith("/") || path.startsWith("\\")) return "it is absolute";
  if (/^[a-zA-Z]:/.test(path)) return "it names a drive";
  const depth = path.split(/[\\/]/).reduce((level, segment) => {
    if (level < 0) return level;
    if (segment === "..") return level - 1;
    return segment === "" || segment === "." ? level : level + 1;
  }, 0);
  return depth < 0 ? "it climbs above the archive root with '..'" : null;
}

/** Whether a link at `memberPath` pointing at `target` resolves outside the archive root. */
export function linkEscapes(memberPath: string, target: string): boolean {
  if (unsafeMemberPath(target) === "it is absolute" || /^[a-zA-Z]:/.test(target)) return true;
  const parent = memberPath.split(/[\\/]/).slice(0, -1).join("/");
  return unsafeMemberPath(parent ? `${parent}/${target}` : target) !== null;
}
