//! Generates the prost message types from `proto/` with `protox`, so no `protoc` binary is needed.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let file = "secure_exec/v1/worker.proto";
    println!("cargo:rerun-if-changed={}", root.join(file).display());
    let descriptors = match protox::compile([file], [&root]) {
        Ok(descriptors) => descriptors,
        Err(err) => panic!("cannot compile {file}: {err}"),
    };
    if let Err(err) = prost_build::Config::new().compile_fds(descriptors) {
        panic!("cannot generate Rust types for {file}: {err}");
    }
}
