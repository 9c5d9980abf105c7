//! photofind's desktop app: a thin Tauri shell that shows the page in `ui/` and answers its
//! commands. Domain work belongs in headless crates; commands only hand it over.
//!
//! At launch the library opens from the data dir the CLI uses (`PHOTOFIND_DATA_DIR`, else the
//! platform default) and, when a model is there (`PHOTOFIND_MODEL`, else the installed model in
//! use), the indexing and watching service starts in the background.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod backend;
mod commands;
mod error;
mod thumbs;

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
    let for_thumbs = Arc::clone(&backend);
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(Arc::clone(&backend))
        .register_asynchronous_uri_scheme_protocol("thumb", move |_ctx, request, responder| {
            let (backend, path) = (Arc::clone(&for_thumbs), request.uri().path().to_owned());
            tauri::async_runtime::spawn_blocking(move || responder.respond(thumbs::respond(&backend, &path)));
        })
        .setup(|app| {
            app.state::<Arc<Backend>>().start_service(app.handle());
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
        ])
        .build(tauri::generate_context!())
        .expect("photofind-desktop failed to start");
    app.run(move |_, event| {
        if let RunEvent::Exit = event {
            backend.stop_service();
        }
    });
}
