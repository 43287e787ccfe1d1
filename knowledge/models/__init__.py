from knowledge.models.adr import (
    Adr,
    AdrComponent,
    AdrCounter,
    AdrLink,
    AdrRevision,
    AdrStatusChange,
    AdrSupersedeProposal,
    Tag,
)
from knowledge.models.onboarding import Enrolment, StepCompletion, Track, TrackStep
from knowledge.models.raci import Activity, Assignment, Role

__all__ = [
    "Activity",
    "Adr",
    "AdrComponent",
    "AdrCounter",
    "AdrLink",
    "AdrRevision",
    "AdrStatusChange",
    "AdrSupersedeProposal",
    "Assignment",
    "Enrolment",
    "Role",
    "StepCompletion",
    "Tag",
    "Track",
    "TrackStep",
]
