// The page: a search box over an empty library, and a footer naming the running build.
import { appInfo } from "./ipc";

const SEARCH_PLACEHOLDER = "Search your photos…";

/** Builds the page inside `root` and fills in what comes from the app. */
export async function mountApp(root: HTMLElement): Promise<void> {
  const version = el("span", { "data-testid": "app-version" });
  root.replaceChildren(header(), main(), footer(version));
  await showVersion(version);
}

function header(): HTMLElement {
  const title = el("h1", { class: "title" }, "photofind");
  const search = el("input", {
    type: "search",
    class: "search",
    placeholder: SEARCH_PLACEHOLDER,
    "aria-label": "Search your photos",
    "data-testid": "search-input",
  });
  return el("header", { class: "bar" }, title, search);
}

function main(): HTMLElement {
  const empty = el("p", { class: "empty", "data-testid": "empty-state" }, "No folders yet");
  return el("main", { class: "content" }, empty);
}

function footer(version: HTMLElement): HTMLElement {
  return el("footer", { class: "footer" }, version);
}

async function showVersion(target: HTMLElement): Promise<void> {
  try {
    const info = await appInfo();
    target.textContent = `${info.name} ${info.version}`;
  } catch (error) {
    target.textContent = "version unknown";
    console.error("app_info failed", error);
  }
}

function el(
  tag: string,
  attributes: Record<string, string>,
  ...children: (Node | string)[]
): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}
