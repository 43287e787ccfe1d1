from knowledge.models.adr import (
    Adr,
    AdrCounter,
    AdrLink,
    AdrRevision,
    AdrStatusChange,
    AdrSubject,
    AdrSupersedeProposal,
    Tag,
)
from knowledge.models.onboarding import Enrolment, StepCompletion, Track, TrackStep
from knowledge.models.raci import Activity, Assignment, Role

__all__ = [
    "Activity",
    "Adr",
    "AdrCounter",
    "AdrLink",
    "AdrRevision",
    "AdrStatusChange",
    "AdrSubject",
    "AdrSupersedeProposal",
    "Assignment",
    "Enrolment",
    "Role",
    "StepCompletion",
    "Tag",
    "Track",
    "TrackStep",
]
