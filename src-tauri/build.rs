//! Runs tauri-build: reads `tauri.conf.json` at the package root, the app's permissions and
//! the window capabilities, all kept under `src-tauri/`.

fn main() {
    // tauri-build resolves these globs against the package root; cargo needs the
    // directories spelled out to rerun when a file in them changes.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/permissions");
    let app_manifest =
        tauri_build::AppManifest::new().permissions_path_pattern("./src-tauri/permissions/*.toml");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/*.json")
        .app_manifest(app_manifest);
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
