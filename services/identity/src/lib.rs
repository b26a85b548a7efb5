//! synergies-identity
