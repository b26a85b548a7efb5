//! Password rules and hashing: argon2id with OWASP's recommended parameters (19 MiB of memory,
//! two passes, one lane), at least 12 characters, and not one of the common passwords shipped
//! with the code.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use synergies_platform::error::FieldError;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 256;

static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
});

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks the rules, naming the field `password`.
pub fn validate(password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(FieldError::new(
            "password",
            format!("must be at least {MIN_LENGTH} characters"),
            format!("doit faire au moins {MIN_LENGTH} caractères"),
        ));
    }
    if length > MAX_LENGTH {
        return Err(FieldError::new(
            "password",
            format!("must be at most {MAX_LENGTH} characters"),
            format!("doit faire au plus {MAX_LENGTH} caractères"),
        ));
    }
    if COMMON.contains(&password.to_lowercase()) {
        return Err(FieldError::new(
            "password",
            "is too common; choose another",
            "est trop courant ; choisissez-en un autre",
        ));
    }
    Ok(())
}

/// The PHC string stored for `password`, with a random salt from the operating system.
pub fn hash(password: &str) -> String {
    hasher()
        .hash_password(password.as_bytes())
        .expect("argon2 hashing of a bounded password")
        .to_string()
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of a real verification, so that an unknown e-mail answers as slowly as a
/// wrong password (no user enumeration by timing).
pub fn verify_against_nothing(password: &str) {
    static DUMMY: LazyLock<String> = LazyLock::new(|| hash("an unguessable placeholder password"));
    let _ = verify(password, &DUMMY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_the_password_field() {
        assert_eq!(validate("short").unwrap_err().field, "password");
        assert!(
            validate("Password1234")
                .unwrap_err()
                .rule
                .en
                .contains("common")
        );
        assert!(validate(&"x".repeat(MAX_LENGTH + 1)).is_err());
        assert!(validate("la brasserie du lac recycle").is_ok());
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let stored = hash("la brasserie du lac recycle");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("la brasserie du lac recycle", &stored));
        assert!(!verify("la brasserie du lac recycla", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn hashes_stored_by_argon2_0_5_still_verify() {
        // Made by the argon2 crate 0.5 with these parameters, before the upgrade to 0.6: the
        // PHC strings already in identity's database must go on signing people in.
        let stored = "$argon2id$v=19$m=19456,t=2,p=1$jesj8Hg43t5b8r+LUEdRvw$GHzatj32c5zfhmUo2n4Y25kdU82rgylQIDPR2qeEmCw";
        assert!(verify("la brasserie du lac recycle", stored));
        assert!(!verify("la brasserie du lac recycla", stored));
    }
}
