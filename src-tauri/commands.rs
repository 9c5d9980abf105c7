//! The commands the page may invoke. Each must also be allowed in `src-tauri/permissions/`
//! and granted in `src-tauri/capabilities/`.

use serde::Serialize;

/// What the page shows about the running app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppInfo {
    /// Product name from `tauri.conf.json`.
    pub name: String,
    /// Version of the package that was built.
    pub version: String,
}

impl AppInfo {
    fn from_package(package: &tauri::PackageInfo) -> Self {
        Self { name: package.name.clone(), version: package.version.to_string() }
    }
}

/// Returns the app's name and version, so the page shows what was really built.
#[tauri::command]
pub fn app_info(app: tauri::AppHandle) -> AppInfo {
    AppInfo::from_package(app.package_info())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_info_serializes_with_the_field_names_the_page_reads() {
        let info = AppInfo { name: "photofind".into(), version: "1.2.3".into() };
        let json = serde_json::to_value(info).expect("AppInfo serializes");
        assert_eq!(json, serde_json::json!({ "name": "photofind", "version": "1.2.3" }));
    }
}
