"""A declaration's status and current stage: one state machine (viewflow.fsm), moved only by
review.engine.sync_declaration as the declaration's review process moves."""

from viewflow import fsm

from declarations.models import EDITABLE_STATUSES, Declaration, DeclarationStatus
from declarations.stages import stage_index
from review.models import Decision

OUTCOMES = {
    Decision.APPROVE: DeclarationStatus.APPROVED,
    Decision.REJECT: DeclarationStatus.REJECTED,
    Decision.RETURN_PREPARER: DeclarationStatus.RETURNED,
    Decision.RETURN_PREVIOUS: DeclarationStatus.RETURNED,
}


class DeclarationLifecycle:
    """The moves a declaration's status may make; any other raises TransitionNotAllowed."""

    status = fsm.State(DeclarationStatus, default=DeclarationStatus.DRAFT)

    def __init__(self, declaration: Declaration):
        self.declaration = declaration

    @status.getter()
    def _current(self) -> str:
        return self.declaration.status

    @status.setter()
    def _store(self, value: str) -> None:
        self.declaration.status = value

    @status.transition(
        source=[*EDITABLE_STATUSES, DeclarationStatus.SUBMITTED], target=DeclarationStatus.SUBMITTED
    )
    def enter_stage(self, stage: str) -> None:
        """A review task of this stage now waits for a decision."""
        self.declaration.stage = stage
        self.declaration.reached_stage = max(self.declaration.reached_stage, stage_index(stage))

    @status.transition(
        source=DeclarationStatus.SUBMITTED,
        target=fsm.State.RETURN_VALUE(*set(OUTCOMES.values())),
    )
    def conclude(self, decision: str) -> str:
        """The round ended with this decision: approved, rejected or returned for revision."""
        self.declaration.stage = ""
        return OUTCOMES[Decision(decision)]

    @status.transition(source=DeclarationStatus.SUBMITTED, target=DeclarationStatus.WITHDRAWN)
    def withdraw(self) -> None:
        """The submitter took the declaration back before any stage acted."""
        self.declaration.stage = ""
