// A small W3C WebDriver client over fetch: only the calls the desktop tests need.

const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor(probe, { timeoutMs = 10_000, intervalMs = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined; // an error from before the last try says nothing about now
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const cause = lastError ? `: ${lastError.message}` : "";
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}

/** Sends one WebDriver command and returns its `value`, throwing the driver's error if any. */
export async function command(baseUrl, method, path, body, timeoutMs = 30_000) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const payload = await response.json();
  if (!response.ok || payload.value?.error) {
    const { error = response.status, message = "" } = payload.value ?? {};
    throw new Error(`${method} ${path}: ${error} ${message}`.trim());
  }
  return payload.value;
}

/** One WebDriver session: a running instance of the app under test. */
export class Session {
  constructor(baseUrl, id) {
    this.baseUrl = baseUrl;
    this.id = id;
  }

  /** Starts `application` through tauri-driver at `baseUrl`. */
  static async start(baseUrl, application, timeoutMs = 60_000) {
    const capabilities = { alwaysMatch: { "tauri:options": { application } } };
    const value = await command(baseUrl, "POST", "/session", { capabilities }, timeoutMs);
    return new Session(baseUrl, value.sessionId);
  }

  call(method, path, body) {
    return command(this.baseUrl, method, `/session/${this.id}${path}`, body);
  }

  title() {
    return this.call("GET", "/title");
  }

  url() {
    return this.call("GET", "/url");
  }

  /** The first element matching `css`, or a thrown `no such element`. */
  async find(css) {
    const value = await this.call("POST", "/element", { using: "css selector", value: css });
    return value[ELEMENT_KEY];
  }

  /** Every element matching `css` (possibly none). */
  async findAll(css) {
    const value = await this.call("POST", "/elements", { using: "css selector", value: css });
    return value.map((element) => element[ELEMENT_KEY]);
  }

  /** Types `text` into `element`; for a file input, `text` is the file's absolute path. */
  type(element, text) {
    return this.call("POST", `/element/${element}/value`, { text });
  }

  click(element) {
    return this.call("POST", `/element/${element}/click`, {});
  }

  /** Empties a text field the way a user does: WebKitWebDriver's Element Clear changes the
   * value without an `input` event, so a page that listens for input (ours) never hears it. */
  async clear(element) {
    await this.call("POST", `/element/${element}/clear`, {});
    await this.execute(
      `arguments[0].dispatchEvent(new Event("input", { bubbles: true })); return null;`,
      [{ [ELEMENT_KEY]: element }],
    );
  }

  text(element) {
    return this.call("GET", `/element/${element}/text`);
  }

  attribute(element, name) {
    return this.call("GET", `/element/${element}/attribute/${name}`);
  }

  /** Runs `script` (a function body; `arguments` holds `args`) in the page; its return value. */
  execute(script, args = []) {
    return this.call("POST", "/execute/sync", { script, args });
  }

  /** Like `execute`, for a script that calls `arguments[arguments.length - 1]` with its result. */
  executeAsync(script, args = []) {
    return this.call("POST", "/execute/async", { script, args });
  }

  /** Makes the file at `path` the query's only image, as a user picks it, and waits until its
   * chip is the only one: until then the cells are the timeline's or the last query's, so a first
   * result read earlier says nothing about this pick. */
  async pickOnlyImage(path) {
    await waitFor(
      async () => {
        const [chip] = await this.findAll('[data-testid="image-chip"] button');
        if (chip === undefined) return true;
        await this.click(chip);
        return undefined;
      },
      { what: "no image left in the query" },
    );
    await this.type(await this.find('[data-testid="image-picker"]'), path);
    const name = path.split("/").pop();
    await waitFor(
      async () =>
        (await this.execute(
          `return [...document.querySelectorAll('[data-testid="image-chip"] .chip-label')].map((l) => l.textContent).join("/");`,
        )) === name || undefined,
      { what: `${name} as the query's only image` },
    );
  }

  /** A PNG of the window, as bytes. */
  async screenshot() {
    return Buffer.from(await this.call("GET", "/screenshot"), "base64");
  }

  /** Ends the session, which closes the app. */
  end() {
    return this.call("DELETE", "");
  }
}
