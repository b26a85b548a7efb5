//! synergies-listings
