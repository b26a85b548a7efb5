use synergies_platform::error::{ErrorCode, FieldError, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// Several fields refused at once (never fewer than two: one is `Invalid` or its own
    /// variant), so that a person corrects every mistake in one go.
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Fields(Vec<FieldError>),
    #[error("tenant {0} already exists")]
    TenantExists(String),
    #[error("tenant not found")]
    TenantNotFound,
    #[error("this territory has no logo")]
    LogoNotFound,
    #[error("organisation not found")]
    OrganisationNotFound,
    #[error("user not found")]
    UserNotFound,
    #[error("a user with this e-mail address already exists in this territory")]
    EmailTaken,
    #[error(
        "this organisation is already registered here: ask the colleague who registered it to invite you (their page \"My organisation\"), or the territory's facilitators if you do not know who"
    )]
    IdentifierTaken,
    #[error(
        "this platform is reserved to professionals of {territory}: commune {insee_code} is outside it"
    )]
    OutsideTerritory {
        territory: String,
        insee_code: String,
    },
    #[error(
        "nobody of this organisation has signed up yet: it becomes a member once one of its people signs up and is approved"
    )]
    NotSignedUpYet,
    #[error("e-mail or password is incorrect")]
    BadCredentials,
    #[error("this is not the operator's secret")]
    BadOperatorSecret,
    #[error("too many failed sign-ins: try again in {}", crate::throttle::wait_text(*wait).en)]
    Throttled { wait: std::time::Duration },
    #[error("this session has ended; sign in again")]
    SessionEnded,
    #[error("confirm your e-mail address first: follow the link sent to it")]
    EmailNotVerified,
    #[error("this confirmation link is invalid, already used or expired")]
    VerificationInvalid,
    #[error("the operator sign-in is disabled on this platform")]
    OperatorDisabled,
    #[error("no token signing key is available")]
    NoSigningKey,
    #[error(transparent)]
    KeyEncryption(#[from] crate::key_encryption::KeyEncryptionError),
    #[error("identity storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("logo processing failed: {0}")]
    LogoProcessing(String),
}

impl ServiceError for IdentityError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) | Self::Fields(_) => ErrorCode::InvalidArgument,
            Self::TenantExists(_) | Self::EmailTaken | Self::IdentifierTaken => {
                ErrorCode::AlreadyExists
            }
            Self::OutsideTerritory { .. } | Self::NotSignedUpYet => ErrorCode::FailedPrecondition,
            Self::TenantNotFound
            | Self::LogoNotFound
            | Self::OrganisationNotFound
            | Self::UserNotFound
            | Self::VerificationInvalid => ErrorCode::NotFound,
            Self::BadCredentials | Self::BadOperatorSecret | Self::SessionEnded => {
                ErrorCode::Unauthenticated
            }
            Self::OperatorDisabled | Self::EmailNotVerified => ErrorCode::PermissionDenied,
            Self::Throttled { .. } => ErrorCode::ResourceExhausted,
            Self::Storage(error) => synergies_platform::error::storage_code(error),
            Self::NoSigningKey | Self::KeyEncryption(_) | Self::LogoProcessing(_) => {
                ErrorCode::Internal
            }
        }
    }

    fn in_french(&self) -> String {
        match self {
            Self::Invalid(error) => error.in_french(),
            Self::Fields(all) => all.first().map(FieldError::in_french).unwrap_or_default(),
            Self::TenantExists(slug) => format!("le territoire {slug} existe déjà"),
            Self::TenantNotFound => "territoire introuvable".to_owned(),
            Self::LogoNotFound => "ce territoire n'a pas de logo".to_owned(),
            Self::OrganisationNotFound => "organisation introuvable".to_owned(),
            Self::UserNotFound => "utilisateur introuvable".to_owned(),
            Self::EmailTaken => {
                "un compte existe déjà avec cette adresse e-mail sur ce territoire".to_owned()
            }
            Self::IdentifierTaken => "cette organisation est déjà inscrite ici : demandez à la \
                                      personne qui l'a inscrite de vous inviter (sa page « Mon \
                                      organisation »), ou aux animateurs du territoire si vous ne \
                                      savez pas qui"
                .to_owned(),
            Self::OutsideTerritory {
                territory,
                insee_code,
            } => format!(
                "cette plateforme est réservée aux professionnels du territoire {territory} : \
                 la commune {insee_code} n'en fait pas partie"
            ),
            Self::NotSignedUpYet => "personne de cette organisation ne s'est encore inscrit : elle \
                                     devient membre quand l'une de ses personnes s'inscrit et est validée"
                .to_owned(),
            Self::BadCredentials => "adresse e-mail ou mot de passe incorrect".to_owned(),
            Self::BadOperatorSecret => "ce n'est pas le secret de l'opérateur".to_owned(),
            Self::Throttled { wait } => format!(
                "trop de tentatives de connexion échouées : réessayez dans {}",
                crate::throttle::wait_text(*wait).fr
            ),
            Self::SessionEnded => "cette session est terminée ; reconnectez-vous".to_owned(),
            Self::EmailNotVerified => {
                "confirmez d'abord votre adresse e-mail en suivant le lien qui vous a été envoyé"
                    .to_owned()
            }
            Self::VerificationInvalid => {
                "ce lien de confirmation est invalide, déjà utilisé ou expiré".to_owned()
            }
            Self::OperatorDisabled => {
                "la connexion opérateur est désactivée sur cette plateforme".to_owned()
            }
            Self::NoSigningKey
            | Self::KeyEncryption(_)
            | Self::Storage(_)
            | Self::LogoProcessing(_) => {
                "erreur interne".to_owned()
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(error) => Some(error.field),
            Self::Fields(all) => all.first().map(|e| e.field),
            Self::EmailTaken => Some("email"),
            Self::IdentifierTaken => Some("siret"),
            Self::OutsideTerritory { .. } => Some("site.insee_code"),
            Self::TenantExists(_) => Some("slug"),
            _ => None,
        }
    }

    fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Fields(all) => all,
            _ => &[],
        }
    }
}

/// The refusals of a request checked as a whole: every field is checked, then all that failed
/// are answered together.
#[derive(Debug, Default)]
pub struct Refusals(Vec<IdentityError>);

impl Refusals {
    /// The value of a check that passed; a refusal is kept and `None` returned.
    pub fn check<T>(&mut self, result: Result<T, impl Into<IdentityError>>) -> Option<T> {
        match result.map_err(Into::into) {
            Ok(value) => Some(value),
            Err(IdentityError::Fields(all)) => {
                self.0.extend(all.into_iter().map(IdentityError::Invalid));
                None
            }
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    /// Nothing refused, or the one refusal as it was, or every field refusal together. A
    /// refusal about no field (a storage outage) wins over the others.
    pub fn finish(mut self) -> Result<(), IdentityError> {
        if let Some(at) = self.0.iter().position(|e| e.field().is_none()) {
            return Err(self.0.swap_remove(at));
        }
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.remove(0)),
            _ => Err(IdentityError::Fields(
                self.0.iter().filter_map(as_field_error).collect(),
            )),
        }
    }
}

/// A refusal about one field as a field error (a commune outside the territory is one too).
fn as_field_error(error: &IdentityError) -> Option<FieldError> {
    match error {
        IdentityError::Invalid(error) => Some(error.clone()),
        IdentityError::OutsideTerritory { .. } => Some(FieldError::new(
            "site.insee_code",
            error.to_string(),
            error.in_french(),
        )),
        _ => None,
    }
}

impl From<IdentityError> for tonic::Status {
    fn from(error: IdentityError) -> Self {
        let mut status = synergies_platform::error::to_status(&error);
        if let IdentityError::Throttled { wait } = error {
            // The gateway turns it into the answer's `Retry-After`.
            let seconds = wait.as_secs().max(1).to_string();
            if let Ok(value) = tonic::metadata::MetadataValue::try_from(seconds) {
                status
                    .metadata_mut()
                    .insert(synergies_platform::error::RETRY_AFTER_METADATA_KEY, value);
            }
        }
        status
    }
}
