//! photofind's desktop app: a thin Tauri shell that shows the page in `ui/` and answers its
//! commands. Domain work belongs in headless crates; commands only hand it over.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(tauri::generate_context!())
        .expect("photofind-desktop failed to run");
}
