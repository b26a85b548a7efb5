//! Signed links that let a member change their e-mails without signing in: one category's
//! one-click unsubscribe (RFC 8058) and their whole e-mail settings. A token names the member
//! and what it allows, signed with HMAC-SHA256 under a key the service keeps in its database;
//! it cannot be forged or turned to another member, territory or category.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::preferences::{Category, Frequency};

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Stop the e-mails of one category.
    Unsubscribe(Category),
    /// Read and change every category.
    Settings,
    /// Stop a digest (`daily` or `weekly`): every category sent in it is no longer e-mailed.
    Digest(Frequency),
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Unsubscribe(category) => category.as_str(),
            Self::Settings => "settings",
            Self::Digest(frequency) => frequency.as_str(),
        }
    }

    fn parse(value: &str) -> Option<Self> {
        if value == "settings" {
            Some(Self::Settings)
        } else if let Some(frequency @ (Frequency::Daily | Frequency::Weekly)) =
            Frequency::parse(value)
        {
            Some(Self::Digest(frequency))
        } else {
            Category::parse(value).map(Self::Unsubscribe)
        }
    }
}

#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl LinkSigner {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn signature(&self, tenant: &str, user_id: Uuid, scope: Scope) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(format!("{tenant}\n{user_id}\n{}", scope.as_str()).as_bytes());
        mac
    }

    /// `<user id>.<scope>.<signature>`, safe in a URL.
    pub fn token(&self, tenant: &str, user_id: Uuid, scope: Scope) -> String {
        let signature = self
            .signature(tenant, user_id, scope)
            .finalize()
            .into_bytes();
        format!(
            "{}.{}.{}",
            user_id.simple(),
            scope.as_str(),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// The member and scope of a token signed for `tenant`; `None` for anything else.
    pub fn verify(&self, tenant: &str, token: &str) -> Option<(Uuid, Scope)> {
        let mut parts = token.split('.');
        let (user, scope, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let user_id = Uuid::parse_str(user).ok()?;
        let scope = Scope::parse(scope)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        // Constant-time comparison.
        self.signature(tenant, user_id, scope)
            .verify_slice(&signature)
            .ok()?;
        Some((user_id, scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_only_what_it_was_signed_for() {
        let signer = LinkSigner::new(b"key of the tests".to_vec());
        let user = Uuid::now_v7();
        let token = signer.token("dijon", user, Scope::Unsubscribe(Category::Message));
        assert_eq!(
            signer.verify("dijon", &token),
            Some((user, Scope::Unsubscribe(Category::Message)))
        );
        assert_eq!(signer.verify("beaune", &token), None, "another territory");
        let other_scope = token.replace(".message.", ".settings.");
        assert_eq!(signer.verify("dijon", &other_scope), None);
        let other_user = token.replace(
            &user.simple().to_string(),
            &Uuid::now_v7().simple().to_string(),
        );
        assert_eq!(signer.verify("dijon", &other_user), None);
        let other_key = LinkSigner::new(b"another key".to_vec());
        assert_eq!(other_key.verify("dijon", &token), None);
        assert_eq!(signer.verify("dijon", "garbage"), None);
        let digest = signer.token("dijon", user, Scope::Digest(Frequency::Daily));
        assert_eq!(
            signer.verify("dijon", &digest),
            Some((user, Scope::Digest(Frequency::Daily)))
        );
        let immediate = digest.replace(".daily.", ".immediate.");
        assert_eq!(signer.verify("dijon", &immediate), None);
    }
}
