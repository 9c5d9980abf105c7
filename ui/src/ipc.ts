// The only module that talks to the Rust side: every `invoke` and `listen` lives here, typed.
import { invoke } from "@tauri-apps/api/core";

/** What `app_info` returns (`AppInfo` in src-tauri/commands.rs). */
export interface AppInfo {
  name: string;
  version: string;
}

/** The running app's name and version, as built. */
export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}
