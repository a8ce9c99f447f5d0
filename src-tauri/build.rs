fn main() {
    // tauri.conf.json sits at the repository root (the package root); capabilities stay with
    // the shell's sources.
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"),
    )
    .expect("tauri build step");
}
