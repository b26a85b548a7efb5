//! synergies-notifications
