//! Compiles `proto/` with `protox` (pure Rust, no system `protoc`) and exports the file
//! descriptor set that the gRPC reflection services serve.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "synergies/events/v1/events.proto",
    "synergies/identity/v1/identity.proto",
    "synergies/listings/v1/listings.proto",
    "synergies/listings/v1/photos.proto",
    "synergies/listings/v1/exchanges.proto",
    "synergies/matching/v1/matching.proto",
    "synergies/notifications/v1/notifications.proto",
    "synergies/flows/v1/flows.proto",
    "synergies/flows/v1/campaigns.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let file_descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("synergies_descriptor.bin"),
        prost::Message::encode_to_vec(&file_descriptors),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(file_descriptors)?;
    Ok(())
}
