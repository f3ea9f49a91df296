"""Pure grading of quiz answers: JSON spec and response in, GradeResult out.

No Django here; docs/question-types.md is the contract for the JSON shapes and scoring.
"""

from quizzes.grading.blanks import (
    ChoiceGap,
    FillBlanksResponse,
    FillBlanksSpec,
    NumericGap,
    TextGap,
)
from quizzes.grading.choice import (
    Choice,
    MultipleChoiceResponse,
    MultipleChoiceSpec,
    SingleChoiceResponse,
    SingleChoiceSpec,
    TrueFalseResponse,
    TrueFalseSpec,
)
from quizzes.grading.errors import ResponseError, SpecError
from quizzes.grading.essay import EssaySpec
from quizzes.grading.matching import MatchingResponse, MatchingSpec, MatchPair
from quizzes.grading.numeric import NumericAnswer, NumericSpec, parse_number
from quizzes.grading.ordering import OrderingResponse, OrderingSpec, OrderItem
from quizzes.grading.outcome import GradeResult, Outcome
from quizzes.grading.registry import (
    QUESTION_TYPES,
    QuestionType,
    grade,
    validate_response,
    validate_spec,
)
from quizzes.grading.text import ShortTextSpec, TextAnswer, TextMatching, TextResponse, normalise

__all__ = [
    "QUESTION_TYPES",
    "Choice",
    "ChoiceGap",
    "EssaySpec",
    "FillBlanksResponse",
    "FillBlanksSpec",
    "GradeResult",
    "MatchPair",
    "MatchingResponse",
    "MatchingSpec",
    "MultipleChoiceResponse",
    "MultipleChoiceSpec",
    "NumericAnswer",
    "NumericGap",
    "NumericSpec",
    "OrderItem",
    "OrderingResponse",
    "OrderingSpec",
    "Outcome",
    "QuestionType",
    "ResponseError",
    "ShortTextSpec",
    "SingleChoiceResponse",
    "SingleChoiceSpec",
    "SpecError",
    "TextAnswer",
    "TextGap",
    "TextMatching",
    "TextResponse",
    "TrueFalseResponse",
    "TrueFalseSpec",
    "grade",
    "normalise",
    "parse_number",
    "validate_response",
    "validate_spec",
]
