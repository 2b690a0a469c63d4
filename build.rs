// Migrations and templates are embedded at compile time; a new file in
// `migrations/` must rebuild the crate (include_dir cannot tell cargo itself).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=build.rs");
}
