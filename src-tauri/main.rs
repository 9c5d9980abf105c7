//! photofind's desktop app: a thin Tauri shell that shows the page in `ui/` and answers its
//! commands. Domain work belongs in headless crates; commands only hand it over.
//!
//! At launch the library opens from the data dir the CLI uses (`PHOTOFIND_DATA_DIR`, else the
//! platform default) and, when a model is there (`PHOTOFIND_MODEL`, else the installed model in
//! use), the indexing and watching service starts in the background.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod access;
mod backend;
#[cfg(test)]
mod bindings;
mod commands;
mod details;
mod duplicates;
mod error;
mod restart;
mod service;
mod settings;
mod stacker;
mod thumbs;
mod words;

use std::sync::Arc;

use backend::Backend;
use tauri::{DragDropEvent, Manager, RunEvent, WindowEvent};

fn main() {
    let backend = match backend::data_dir().and_then(|dir| Backend::open(&dir)) {
        Ok(backend) => Arc::new(backend),
        Err(err) => {
            eprintln!("photofind: cannot open the library: {}", err.message);
            std::process::exit(2);
        }
    };
    let (for_thumbs, for_views) = (Arc::clone(&backend), Arc::clone(&backend));
    let context = tauri::generate_context!();
    // Opening files goes through `tauri_plugin_opener`'s functions from Rust, after the
    // checks in `access`; its plugin (commands for the page, and a script that opens clicked
    // links) is not installed.
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation_guard(context.config().build.dev_url.as_ref()))
        .manage(Arc::clone(&backend))
        .register_asynchronous_uri_scheme_protocol("thumb", move |_ctx, request, responder| {
            let (backend, path) = (Arc::clone(&for_thumbs), request.uri().path().to_owned());
            let reply: thumbs::Reply = Box::new(move |response| responder.respond(response));
            tauri::async_runtime::spawn_blocking(move || backend.thumbnail(&path, reply));
        })
        .register_asynchronous_uri_scheme_protocol("view", move |_ctx, request, responder| {
            let backend = Arc::clone(&for_views);
            // The path and `?w=`, the size the page shows it at.
            let uri = request.uri().path_and_query().map(|pq| pq.as_str().to_owned()).unwrap_or_default();
            let reply: thumbs::Reply = Box::new(move |response| responder.respond(response));
            tauri::async_runtime::spawn_blocking(move || backend.view(&uri, reply));
        })
        .setup(|app| {
            let backend = Arc::clone(app.state::<Arc<Backend>>().inner());
            backend.start_service(app.handle());
            let (stacking, handle) = (Arc::clone(&backend), app.handle().clone());
            std::thread::spawn(move || stacker::run(&stacking, &handle));
            std::thread::spawn(move || backend.prune_thumbnails());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) = event {
                window.state::<Arc<Backend>>().allow_dropped(paths);
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::search,
            commands::timeline,
            duplicates::duplicates,
            duplicates::trash_photos,
            commands::stage_image,
            commands::roots,
            commands::add_root_dialog,
            commands::remove_root,
            commands::index_status,
            commands::pause_indexing,
            commands::resume_indexing,
            commands::failures,
            commands::model_status,
            commands::download_model,
            commands::open_path,
            commands::reveal_path,
            details::photo_details,
            settings::settings,
            settings::set_text_mode,
            settings::use_model,
            settings::remove_model,
            settings::fetch_model,
        ])
        .build(context)
        .expect("photofind-desktop failed to start");
    app.run(move |_, event| {
        if let RunEvent::Exit = event {
            backend.stop_service();
        }
    });
}

/// Keeps every webview on the app's own pages (see [`access::may_navigate`]).
fn navigation_guard<R: tauri::Runtime>(dev_url: Option<&tauri::Url>) -> tauri::plugin::TauriPlugin<R> {
    let origins = access::app_origins(dev_url.filter(|_| tauri::is_dev()));
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(move |_, url| {
            let allowed = access::may_navigate(url, &origins);
            if !allowed {
                eprintln!("photofind: refused to navigate the window to {url}");
            }
            allowed
        })
        .build()
}
