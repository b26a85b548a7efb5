use synergies_platform::error::{ErrorCode, FieldError, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum FlowsError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("flow not found")]
    NotFound,
    #[error("organisation not found")]
    OrganisationNotFound,
    #[error("members record and edit their own organisation's flows only")]
    OtherOrganisation,
    #[error("only a member of an organisation or a facilitator may do this")]
    NotAMember,
    #[error("campaign not found")]
    CampaignNotFound,
    #[error("only the territory's facilitators may do this")]
    FacilitatorsOnly,
    #[error("the flow changed meanwhile: reload it and try again")]
    ChangedMeanwhile,
    #[error("the organisation could not be read: {0}")]
    Identity(String),
    #[error("the synergies could not be read: {0}")]
    Matching(String),
    #[error("flows storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("a stored flow could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("flow search failed: {0}")]
    Search(String),
}

impl ServiceError for FlowsError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidArgument,
            Self::NotFound | Self::OrganisationNotFound | Self::CampaignNotFound => {
                ErrorCode::NotFound
            }
            Self::OtherOrganisation | Self::NotAMember | Self::FacilitatorsOnly => {
                ErrorCode::PermissionDenied
            }
            Self::ChangedMeanwhile => ErrorCode::FailedPrecondition,
            Self::Identity(_) | Self::Matching(_) | Self::Search(_) => ErrorCode::Unavailable,
            Self::Storage(error) => synergies_platform::error::storage_code(error),
            Self::Corrupt(_) => ErrorCode::Internal,
        }
    }

    fn in_french(&self) -> String {
        match self {
            Self::Invalid(error) => error.in_french(),
            Self::NotFound => "flux introuvable".to_owned(),
            Self::OrganisationNotFound => "organisation introuvable".to_owned(),
            Self::OtherOrganisation => {
                "les membres saisissent et modifient les flux de leur seule organisation".to_owned()
            }
            Self::NotAMember => {
                "seul un membre d'une organisation ou un animateur peut faire cela".to_owned()
            }
            Self::CampaignNotFound => "campagne introuvable".to_owned(),
            Self::FacilitatorsOnly => {
                "seuls les animateurs du territoire peuvent faire cela".to_owned()
            }
            Self::ChangedMeanwhile => {
                "le flux a changé entre-temps : rechargez-le et réessayez".to_owned()
            }
            Self::Identity(_) | Self::Matching(_) => {
                "service momentanément indisponible".to_owned()
            }
            Self::Search(_) => "recherche momentanément indisponible".to_owned(),
            Self::Storage(_) | Self::Corrupt(_) => "erreur interne".to_owned(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(error) => Some(error.field),
            _ => None,
        }
    }
}

impl From<FlowsError> for tonic::Status {
    fn from(error: FlowsError) -> Self {
        synergies_platform::error::to_status(&error)
    }
}
