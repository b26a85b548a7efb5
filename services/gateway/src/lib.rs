//! synergies-gateway
