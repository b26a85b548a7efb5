//! synergies-matching
