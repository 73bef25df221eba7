"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from sqlmodel import SQLModel

# Stable constraint names, so that migrations read the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from app.models.accounts import (  # noqa: E402
    PendingSignIn,
    RecoveryCode,
    ReportTeam,
    Role,
    SignInAttempt,
    Team,
    User,
    UserRole,
    UserSession,
)
from app.models.assessment import (  # noqa: E402
    AssessmentAnswer,
    AssessmentSection,
    Classification,
    FactorEvidence,
    FactorRating,
    SectionRevision,
)
from app.models.audit import AuditAction, AuditEvent, AuditRetention  # noqa: E402
from app.models.chronology import (  # noqa: E402
    ChronologyComment,
    ChronologyEntry,
    ChronologyEntryChild,
    ChronologyEntryTheme,
    ChronologyImport,
    ChronologyReview,
    ChronologyWrittenAnalysis,
)
from app.models.content import (  # noqa: E402
    ContentFile,
    ContentState,
    ContentVersion,
)
from app.models.family import (  # noqa: E402
    Adult,
    CareEpisode,
    Child,
    EarlierReturn,
    Family,
    FamilyContact,
)
from app.models.journey import (  # noqa: E402
    CareReentry,
    ChildOutcome,
    ChildReturn,
    MonitoringVisit,
    MonitoringVisitChild,
    ReviewCycle,
)
from app.models.progress import (  # noqa: E402
    GateDecision,
    GateProposal,
    SectionProgress,
    SectionStatus,
)
from app.models.tokens import ApiToken  # noqa: E402

__all__ = [
    "Adult",
    "ApiToken",
    "AssessmentAnswer",
    "AssessmentSection",
    "AuditAction",
    "AuditEvent",
    "AuditRetention",
    "CareEpisode",
    "CareReentry",
    "Child",
    "ChildOutcome",
    "ChildReturn",
    "ChronologyComment",
    "ChronologyEntry",
    "ChronologyEntryChild",
    "ChronologyEntryTheme",
    "ChronologyImport",
    "ChronologyReview",
    "ChronologyWrittenAnalysis",
    "Classification",
    "ContentFile",
    "ContentState",
    "ContentVersion",
    "EarlierReturn",
    "FactorEvidence",
    "FactorRating",
    "Family",
    "FamilyContact",
    "GateDecision",
    "GateProposal",
    "MonitoringVisit",
    "MonitoringVisitChild",
    "PendingSignIn",
    "RecoveryCode",
    "ReportTeam",
    "ReviewCycle",
    "Role",
    "SectionProgress",
    "SectionRevision",
    "SectionStatus",
    "SignInAttempt",
    "Team",
    "User",
    "UserRole",
    "UserSession",
]
