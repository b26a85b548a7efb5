//! Generated protobuf and gRPC code for every Synergies contract.
#![allow(clippy::pedantic, missing_docs)]

/// Encoded `FileDescriptorSet` of every contract, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/synergies_descriptor.bin"));

pub mod events {
    pub mod v1 {
        tonic::include_proto!("synergies.events.v1");
    }
}
pub mod identity {
    pub mod v1 {
        tonic::include_proto!("synergies.identity.v1");
    }
}
pub mod listings {
    pub mod v1 {
        tonic::include_proto!("synergies.listings.v1");
    }
}
pub mod matching {
    pub mod v1 {
        tonic::include_proto!("synergies.matching.v1");
    }
}
pub mod notifications {
    pub mod v1 {
        tonic::include_proto!("synergies.notifications.v1");
    }
}
pub mod flows {
    pub mod v1 {
        tonic::include_proto!("synergies.flows.v1");
    }
}
