"""All models, imported here so that the metadata is complete wherever one is used."""

from casemodel.models.accounts import AccountToken
from casemodel.models.approvals import (
    ApprovalChallenge,
    ApprovalDelivery,
    ApprovalRequest,
    ApprovalView,
)
from casemodel.models.audit import AuditChainHead, AuditEvent
from casemodel.models.documents import Document, DocumentKind, DocumentRead, DocumentVersion
from casemodel.models.dossiers import Dossier, DossierNumberSequence, Step
from casemodel.models.messages import Message, MessageAttachment, MessageRead
from casemodel.models.notifications import Notification
from casemodel.models.organisations import (
    Membership,
    MembershipInvitation,
    Office,
    OfficeMembership,
    Organisation,
)
from casemodel.models.outbox import OutboxMessage
from casemodel.models.proposals import ChangeProposal
from casemodel.models.questionnaires import Questionnaire, QuestionnaireFile, QuestionnairePage
from casemodel.models.quotas import QuotaUsage
from casemodel.models.security import OneTimeCode, RecoveryCode, UserSession
from casemodel.models.tasks import HumanTask
from casemodel.models.uploads import ArchivedFile, StagedFile
from casemodel.models.users import User

__all__ = [
    "ApprovalChallenge",
    "ApprovalDelivery",
    "ApprovalRequest",
    "ApprovalView",
    "ArchivedFile",
    "Message",
    "MessageAttachment",
    "MessageRead",
    "Notification",
    "StagedFile",
    "AccountToken",
    "AuditChainHead",
    "AuditEvent",
    "ChangeProposal",
    "Document",
    "DocumentKind",
    "DocumentRead",
    "DocumentVersion",
    "Dossier",
    "DossierNumberSequence",
    "HumanTask",
    "Membership",
    "MembershipInvitation",
    "Office",
    "OfficeMembership",
    "OneTimeCode",
    "Organisation",
    "OutboxMessage",
    "Questionnaire",
    "QuestionnaireFile",
    "QuestionnairePage",
    "QuotaUsage",
    "RecoveryCode",
    "Step",
    "User",
    "UserSession",
]
