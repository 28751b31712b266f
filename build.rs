//! Bundles `ontologies/`, `pathways/` and `queries/` into the binary, so `twinpath serve`
//! works from any directory; re-runs whenever a file in those folders changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut code = String::from("/// Bundled files: (path relative to the project root, contents).\npub static BUNDLED: &[(&str, &[u8])] = &[\n");
    for folder in ["ontologies", "pathways", "queries"] {
        println!("cargo:rerun-if-changed={folder}");
        let mut files = Vec::new();
        collect(&root.join(folder), &mut files);
        for file in files {
            let relative = file
                .strip_prefix(&root)
                .expect("collected under root")
                .to_string_lossy()
                .replace('\\', "/");
            writeln!(
                code,
                "    ({relative:?}, include_bytes!({:?})),",
                file.to_string_lossy()
            )
            .expect("write to String");
        }
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled.rs");
    std::fs::write(out, code).expect("write bundled.rs");
}
