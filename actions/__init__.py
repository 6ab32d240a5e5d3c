"""Runner-Up's custom actions (rasa-sdk). `rasa run actions` imports this package.

One module per concern: feelings (listening), rejection (the form), steps (guidance),
progress (remembering), crisis (the flag), crisis_check (the safety question), checkins (asking,
scheduling, speaking them), privacy (export and delete), venting (listening without a step),
answers (a yes or no to no question on the table), handoff (a person, as configured);
`common` holds the store boundary and variety.
"""

from actions.answers import ActionAnswerNo, ActionAnswerYes, ActionComplaintAdvice, ActionMoneyWorry
from actions.checkins import (
    ActionAcceptCheckin,
    ActionAskCheckin,
    ActionCheckinAfterCrisis,
    ActionDeclineCheckin,
    ActionDeliverCheckin,
    ActionRescheduleCheckin,
    ActionStopCheckins,
)
from actions.crisis import ActionFlagCrisis
from actions.crisis_check import ActionCrisisCheck, ActionCrisisCheckSafe
from actions.feelings import ActionReflectFeeling
from actions.handoff import ActionHandOff
from actions.venting import ActionVent
from actions.privacy import ActionDeleteData, ActionExportData
from actions.progress import (
    ActionAskSkillGap,
    ActionAskStrength,
    ActionFeedbackHelp,
    ActionGreet,
    ActionProgressSummary,
    ActionRecordSkillGap,
    ActionRecordStrength,
)
from actions.rejection import ActionNoteAnotherRejection, ActionRecordRejection, ValidateRejectionForm
from actions.steps import (
    ActionAcceptStep,
    ActionAnotherStep,
    ActionDeclineStep,
    ActionOfferStep,
    ActionReviewInterview,
    ActionSecondChance,
    ActionSendTemplate,
    ActionStepDone,
)

__all__ = [
    "ActionAcceptCheckin", "ActionAskCheckin", "ActionCheckinAfterCrisis", "ActionDeclineCheckin", "ActionDeliverCheckin",
    "ActionRescheduleCheckin", "ActionStopCheckins", "ActionDeleteData", "ActionExportData", "ActionHandOff",
    "ActionAcceptStep", "ActionAnotherStep", "ActionCrisisCheck", "ActionCrisisCheckSafe", "ActionAskSkillGap", "ActionAskStrength",
    "ActionDeclineStep", "ActionFeedbackHelp", "ActionFlagCrisis", "ActionGreet",
    "ActionOfferStep", "ActionProgressSummary", "ActionRecordRejection", "ActionRecordSkillGap",
    "ActionRecordStrength", "ActionReflectFeeling", "ActionSendTemplate",
    "ActionStepDone", "ValidateRejectionForm",
    "ActionAnswerNo", "ActionAnswerYes", "ActionComplaintAdvice", "ActionMoneyWorry", "ActionNoteAnotherRejection", "ActionReviewInterview", "ActionSecondChance", "ActionVent",
]
