// A stand-in for the Rust side in tests: answers `invoke` through Tauri's own mocks, records
// every call, and emits events the way Rust would. The page under test goes through the real
// ipc.ts, so these tests also check the command names and argument shapes of the contract.
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockConvertFileSrc, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { flushSync, mount, unmount } from "svelte";
import { vi } from "vitest";
import App from "../components/App.svelte";
import type { Hit, IndexStatus, ModelInfo, PathJson, Results, RootInfo, Settings, TimelinePage } from "../ipc";

// Each command has its own argument shape; the tests that override one know it.
type Handler = (args: any) => unknown;

export interface Call {
  cmd: string;
  args: unknown;
}

export const READY_MODEL: ModelInfo = {
  id: "clip-vit-b32",
  name: "CLIP ViT-B/32",
  size: 351_000_000,
  license: "MIT",
  state: "ready",
  message: null,
};

export const IDLE: IndexStatus = {
  state: "idle",
  photos: 3,
  unchanged: 0,
  done: 3,
  total: 3,
  per_second: 0,
  eta_seconds: null,
  failed: 0,
  failures: 0,
  embedded: 3,
  current: null,
  switching: null,
  error: null,
  retry_seconds: null,
  warnings: [],
};

export const HOLIDAYS: RootInfo = { path: "/home/ann/Pictures/holidays", photos: 3, state: "watching" };

export class FakeBackend {
  readonly calls: Call[] = [];
  readonly #handlers = new Map<string, Handler>([
    ["app_info", () => ({ name: "photofind", version: "9.8.7-test" })],
    ["roots", () => [HOLIDAYS]],
    ["index_status", () => IDLE],
    ["model_status", () => READY_MODEL],
    ["failures", () => ({ total: 0, failures: [] })],
    ["search", () => results([])],
    ["timeline", () => EMPTY_TIMELINE],
    ["photo_details", () => ({ camera: null, lens: null, folder: "/photos" })],
    ["settings", () => SETTINGS],
  ]);

  /** Replaces how one command answers; throwing or rejecting makes it fail. */
  on(cmd: string, handler: Handler): this {
    this.#handlers.set(cmd, handler);
    return this;
  }

  /** The arguments of every call to `cmd`, oldest first. */
  argsOf(cmd: string): unknown[] {
    return this.calls.filter((call) => call.cmd === cmd).map((call) => call.args);
  }

  /** The `request` of every search, oldest first. */
  searches(): { text: string; images: unknown[]; limit: number }[] {
    return this.argsOf("search").map((args) => (args as { request: never }).request);
  }

  handle(cmd: string, args: unknown): unknown {
    this.calls.push({ cmd, args });
    const handler = this.#handlers.get(cmd);
    if (!handler) throw new Error(`the fake backend has no command ${cmd}`);
    const answer = handler(args);
    // A test gives a search's `Results`; Rust wraps them with how it read the words.
    return cmd === "search" ? asAnswer(answer) : answer;
  }
}

/** Installs a fresh fake backend as the Tauri runtime. */
export function fakeBackend(): FakeBackend {
  const backend = new FakeBackend();
  mockWindows("main");
  mockConvertFileSrc("linux");
  mockIPC((cmd, args) => backend.handle(cmd, args), { shouldMockEvents: true });
  return backend;
}

/** Sends an event as Rust would. */
export async function rustEmits(event: string, payload?: unknown): Promise<void> {
  await emit(event, payload);
  flushSync();
}

let mounted: { app: Record<string, unknown>; target: HTMLElement } | undefined;

/**
 * Mounts the page and waits until it has asked Rust for its first state. The result grid reads
 * its viewport size from layout, which happy-dom has none of: `viewport` stands in for it.
 */
export async function renderApp(backend: FakeBackend, viewport = { width: 840, height: 672 }): Promise<HTMLElement> {
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(viewport.width);
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(viewport.height);
  const target = document.body.appendChild(document.createElement("div"));
  mounted = { app: mount(App, { target }), target };
  await vi.waitFor(() => {
    if (backend.argsOf("app_info").length === 0) throw new Error("the page has not started");
  });
  await settle();
  return target;
}

/** Unmounts the page and lets its unsubscriptions reach the fake runtime before removing it. */
export async function cleanup(): Promise<void> {
  if (mounted) unmount(mounted.app);
  mounted = undefined;
  await settle();
  clearMocks();
  vi.restoreAllMocks();
  vi.useRealTimers();
  document.body.replaceChildren();
}

/**
 * Lets answers already given by the fake backend land and the DOM catch up. Microtasks only,
 * so it works under fake timers too; the fake IPC never waits on a timer.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
  flushSync();
}

export function byTestId(root: ParentNode, id: string): HTMLElement | null {
  return root.querySelector(`[data-testid="${id}"]`);
}

export function allByTestId(root: ParentNode, id: string): HTMLElement[] {
  return Array.from(root.querySelectorAll(`[data-testid="${id}"]`));
}

/** The element, or a failure naming what was missing. */
export function get(root: ParentNode, id: string): HTMLElement {
  const found = byTestId(root, id);
  if (!found) throw new Error(`no [data-testid="${id}"] in the page`);
  return found;
}

/** Types into the search box the way a user does: one input event per keystroke. */
export function typeInto(input: HTMLElement, text: string): void {
  const field = input as HTMLInputElement;
  for (const char of text) {
    field.value += char;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  flushSync();
}

export function press(target: HTMLElement, key: string): void {
  target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
  flushSync();
}

export function click(target: HTMLElement): void {
  target.click();
  flushSync();
}

/** The thumbnail URLs of the result cells now in the DOM, in order. */
export function resultThumbs(root: ParentNode): string[] {
  return allByTestId(root, "result").map((cell) => cell.querySelector("img")?.getAttribute("src") ?? "");
}

/** Paths of the result cells now in the DOM, in order. */
export function resultPaths(root: ParentNode): string[] {
  return allByTestId(root, "result").map((cell) => cell.dataset.path ?? "");
}

/** A promise the test resolves when it chooses, to order answers by hand. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const EMPTY_TIMELINE: TimelinePage = { total: 0, months: [], offset: 0, photos: [] };

export const SETTINGS: Settings = {
  models: [],
  data_dir: "/home/ann/.local/share/photofind",
  in_use: "clip-vit-b32",
  pinned: false,
  paused: false,
  indexing_here: true,
  text_mode: "auto",
};

/** A search's answer: `Results` as they are (no filters in the words), or an `Answer` given whole. */
function asAnswer(answer: unknown): unknown {
  const wrap = (value: unknown): unknown =>
    value !== null && typeof value === "object" && "hits" in value
      ? { parsed: { text: "", minus: [], chips: [] }, results: value, read_by: null }
      : value;
  return answer instanceof Promise ? answer.then(wrap) : wrap(answer);
}

export function hit(path: PathJson, fields: Partial<Hit> = {}): Hit {
  return {
    path,
    taken: "2023-07-14T18:03:00",
    score: 0.312,
    z: 2.5,
    good: true,
    paths: [path],
    offline: false,
    captured: "2023-07-14T18:03:00",
    format: "jpeg",
    width: 4032,
    height: 3024,
    size: 2_400_000,
    id: 1,
    ...fields,
  };
}

export function results(hits: Hit[], fields: Partial<Results> = {}): Results {
  return { hits, good_match: hits.length > 0, threshold_z: 2, candidates: hits.length, model: READY_MODEL.id, ...fields };
}

/** `count` hits named /photos/0000.jpg, /photos/0001.jpg… */
export function manyHits(count: number): Hit[] {
  return Array.from({ length: count }, (_, i) =>
    hit(`/photos/${String(i).padStart(4, "0")}.jpg`, { id: i, score: 0.5 - i / 10_000 }),
  );
}
