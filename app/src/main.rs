//! Mounts the console; everything else lives in the library.
fn main() {
    scale_jobs_app::start();
}
