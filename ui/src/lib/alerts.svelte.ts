// The one line at the top of the window that says what went wrong with the last action.
import { asIpcError } from "../ipc";

export class Alerts {
  message = $state<string | null>(null);

  /** Shows the message Rust gave (it says what to do), and logs the whole error. */
  report(what: string, error: unknown): void {
    console.error(what, error);
    this.message = asIpcError(error).message;
  }

  dismiss(): void {
    this.message = null;
  }
}
