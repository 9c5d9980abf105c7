// Paths as Rust sends them (`PathJson`): how one reads on screen, and when two are the same file.
import type { PathJson } from "../ipc";
import { baseName } from "./format";

/** The path as a person reads it: a name that is not UTF-8 shows U+FFFD where its odd bytes are. */
export function pathText(path: PathJson): string {
  return typeof path === "string" ? path : path.lossy;
}

/**
 * A string equal for two paths exactly when they name the same file: two names that differ
 * only in bytes that are not UTF-8 read the same but are different files.
 */
export function pathKey(path: PathJson): string {
  // A NUL cannot be in a path, so no plain path's key looks like a byte path's.
  return typeof path === "string" ? path : `\u0000${path.bytes}`;
}

export function samePath(a: PathJson, b: PathJson): boolean {
  return pathKey(a) === pathKey(b);
}

/**
 * The path as it reads inside the folder (of `folders`) that holds it, e.g. `2019/beach.jpg`;
 * the whole path when none does.
 */
export function pathInFolder(path: PathJson, folders: readonly PathJson[]): string {
  const text = pathText(path);
  const holder = folders.map(pathText).find((folder) => text.startsWith(folder.endsWith("/") ? folder : `${folder}/`));
  return holder === undefined ? text : text.slice(holder.length).replace(/^\//, "");
}

/** The file's name, for labels; the full path goes in a tooltip. */
export function pathName(path: PathJson): string {
  return baseName(pathText(path));
}
