"""Quizzes, questions and attempts.

Instructors of a course write its quizzes and questions and read every
attempt in it; learners read quizzes of published sections, questions without
answer keys, and only their own attempts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import teaches
from api.errors import ApiError
from api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from api.params import ChoiceFilter, IdFilter
from api.views_base import InstructorWriteViewSet, LearnerWorkViewSet
from core.provenance import ImportPolicy
from courses.selectors import section_taught
from quizzes.api.serializers import (
    AnswersSerializer,
    AttemptDetailSerializer,
    AttemptSerializer,
    AttemptStartSerializer,
    PublicQuestionSerializer,
    QuestionSerializer,
    QuestionUpdateSerializer,
    QuizSerializer,
    QuizUpdateSerializer,
    SubmittedSerializer,
)
from quizzes.authoring import (
    QuizEditError,
    QuizImportError,
    question_delete,
    question_save,
    quiz_delete,
    quiz_export_gift,
    quiz_export_moodle_xml,
    quiz_import_gift,
    quiz_save,
)
from quizzes.models import Attempt, Question, Quiz
from quizzes.selectors import (
    attempt_ids_of,
    attempt_url,
    attempt_view_for,
    attempts_gates,
    attempts_visible_to,
    public_question_view,
    questions_visible_to,
    quiz_taught,
    quiz_visible_get,
    quizzes_visible_to,
)
from quizzes.services import (
    QuizRuleError,
    attempt_save_answers,
    attempt_start,
    attempt_submit,
)

# Quiz rules broken by the state of things (409) rather than by the request itself (400).
CONFLICT_RULES = {
    "no_attempts_left", "not_in_progress", "time_is_up", "not_open", "busy", "past_cutoff",
    "late_not_accepted",
}  # fmt: skip


def rule_error(error: QuizRuleError) -> ApiError:
    return ApiError(
        error.code, str(error), status_code=409 if error.code in CONFLICT_RULES else 400
    )


def edit_refused(error: QuizEditError) -> ApiError:
    return ApiError("in_use", str(error), status_code=409)


def _schema(tag: str, **operations: Any) -> Any:
    return extend_schema_view(
        list=extend_schema(tags=[tag], **operations.get("list", {})),
        retrieve=extend_schema(tags=[tag], **operations.get("retrieve", {})),
        create=extend_schema(tags=[tag], parameters=[IDEMPOTENCY_PARAMETER]),
        partial_update=extend_schema(tags=[tag]),
        destroy=extend_schema(tags=[tag], responses={204: None}),
    )


@_schema("quizzes")
class QuizViewSet(InstructorWriteViewSet):
    model = Quiz
    parent_field = "section"
    serializer_class = create_serializer_class = QuizSerializer
    update_serializer_class = QuizUpdateSerializer
    filters = {
        "section": IdFilter("section_id", "quizzes of this section"),
        "course": IdFilter("section__part__course_id", "quizzes of this course"),
    }

    def base_queryset(self) -> QuerySet[Quiz]:
        return quizzes_visible_to(self.request.user).order_by("section_id", "order", "id")

    def course_id_of(self, instance: Quiz) -> int:
        return instance.section.part.course_id

    def save_instance(self, instance: Quiz, options: Mapping[str, Any]) -> Quiz:
        return quiz_save(quiz=instance)

    def delete_instance(self, instance: Quiz) -> None:
        try:
            quiz_delete(quiz=instance)
        except QuizEditError as error:
            raise edit_refused(error) from None


@_schema(
    "quizzes",
    list={
        "responses": QuestionSerializer(many=True),
        "description": "Instructors of the course get the whole spec; learners get "
        "PublicQuestion (no answer keys).",
    },
    retrieve={"responses": QuestionSerializer},
)
class QuestionViewSet(InstructorWriteViewSet):
    model = Question
    parent_field = "quiz"
    serializer_class = create_serializer_class = QuestionSerializer
    update_serializer_class = QuestionUpdateSerializer
    filters = {"quiz": IdFilter("quiz_id", "questions of this quiz")}

    def base_queryset(self) -> QuerySet[Question]:
        return questions_visible_to(self.request.user)

    def course_id_of(self, instance: Question) -> int:
        return instance.quiz.section.part.course_id

    def save_instance(self, instance: Question, options: Mapping[str, Any]) -> Question:
        return question_save(question=instance)

    def delete_instance(self, instance: Question) -> None:
        try:
            question_delete(question=instance)
        except QuizEditError as error:
            raise edit_refused(error) from None

    def present(self, instance: Question) -> Any:
        if teaches(self.request.user, self.course_id_of(instance)):
            return QuestionSerializer(instance).data
        return PublicQuestionSerializer(public_question_view(question=instance)).data


@extend_schema_view(
    list=extend_schema(tags=["attempts"]),
    retrieve=extend_schema(tags=["attempts"], responses=AttemptDetailSerializer),
)
class AttemptViewSet(LearnerWorkViewSet):
    """A learner's own attempts; an instructor's view of every attempt in their courses."""

    serializer_class = AttemptSerializer
    filters = {
        "quiz": IdFilter("quiz_id", "attempts at this quiz"),
        "learner": IdFilter("learner_id", "attempts of this learner"),
        "status": ChoiceFilter("status", Attempt.Status.values, "attempts in this status"),
    }

    visible = staticmethod(attempts_visible_to)
    ordering = ("-started_at", "-id")

    gates: dict[int, Any] | None = None  # (a list's, set by list())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = list(self.paginate_queryset(self.get_queryset()) or [])
        # Each item's results gate (exam mode, dates) once for the page, not once per row.
        self.gates = attempts_gates(attempts=page)
        return self.get_paginated_response([self.present(row) for row in page])

    def present(self, instance: Attempt) -> Any:
        detail = self.action != "list"
        view = attempt_view_for(
            attempt=instance, user=self.request.user, with_questions=detail, gates=self.gates
        )
        return (AttemptDetailSerializer if detail else AttemptSerializer)(view).data

    def _own(self) -> Attempt:
        attempt = self.get_object()
        if attempt.learner_id != self.request.user.pk:
            raise exceptions.PermissionDenied(_("Only the learner answers their attempt."))
        return attempt

    @extend_schema(
        tags=["attempts"],
        request=AttemptStartSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: AttemptDetailSerializer,
            200: OpenApiResponse(AttemptDetailSerializer, "The attempt already in progress."),
        },
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = AttemptStartSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        quiz = quiz_visible_get(user=request.user, quiz_id=given.validated_data["quiz"])
        if quiz is None:
            raise ApiError(
                "not_found", _("No such quiz."), status_code=404, fields={"quiz": [_("Unknown.")]}
            )
        before = attempt_ids_of(learner=request.user, quiz=quiz)
        try:
            attempt = attempt_start(learner=request.user, quiz=quiz)
        except QuizRuleError as error:
            raise rule_error(error) from None
        attempt.quiz = quiz
        body = AttemptDetailSerializer(
            attempt_view_for(attempt=attempt, user=request.user, with_questions=True)
        )
        created = attempt.pk not in before
        return Response(
            body.data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": attempt_url(attempt.pk)},
        )

    @extend_schema(tags=["attempts"], request=AnswersSerializer, responses=AttemptDetailSerializer)
    @action(detail=True, methods=["put"], url_path="answers")
    def answers(self, request: Request, pk: str | None = None) -> Response:
        attempt = self._own()
        given = AnswersSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            # Answers name choices and items by the opaque ids the attempt showed.
            attempt_save_answers(
                attempt=attempt, responses=given.validated_data["answers"], shown_ids=True
            )
        except QuizRuleError as error:
            raise rule_error(error) from None
        attempt.refresh_from_db()
        return Response(
            AttemptDetailSerializer(
                attempt_view_for(attempt=attempt, user=request.user, with_questions=True)
            ).data
        )

    @extend_schema(
        tags=["attempts"],
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: SubmittedSerializer},
    )
    @action(detail=True, methods=["post"], url_path="submit")
    @idempotent
    def submit(self, request: Request, pk: str | None = None) -> Response:
        attempt = self._own()
        try:
            attempt = attempt_submit(attempt=attempt)
        except QuizRuleError as error:
            raise rule_error(error) from None
        url = attempt_url(attempt.pk)
        return Response(
            SubmittedSerializer({"status": attempt.status, "url": url}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )


MAX_BANK_BYTES = 20 * 1024 * 1024  # (Moodle XML embeds images)
REPORT_KEYS = ("created", "updated", "unchanged", "removed", "kept", "kept_site", "kept_edited",
               "kept_learners")  # fmt: skip


class QuestionBankImportView(APIView):
    """POST a GIFT or Moodle XML file (multipart `file`) into a section's quizzes."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["quizzes"],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "quiz_title": {"type": "string"},
                    "dry_run": {"type": "boolean"},
                    "overwrite": {"type": "boolean"},
                },
                "required": ["file"],
            }
        },
        responses={200: OpenApiResponse(description="the import's report")},
        description="Import a question bank as Moodle reads it (docs/question-banks.md): a quiz "
        "per category, each question that cannot be represented skipped and named; with "
        "`dry_run` nothing is written. 400 `invalid_file` when nothing can be imported.",
    )
    def post(self, request: Request, section_id: int) -> Response:
        section = section_taught(user=request.user, section_id=section_id)
        if section is None:
            raise exceptions.NotFound()  # (another course's section does not exist for them)
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError("invalid", _("Send the file as `file`."), fields={"file": ["required"]})
        if upload.size is None or upload.size > MAX_BANK_BYTES:
            raise ApiError(
                "invalid", _("The file is larger than 20 MB."), fields={"file": ["size"]}
            )
        flag = {"true", "1", "yes", "on"}
        name = "bank.xml" if (upload.name or "").lower().endswith(".xml") else "bank.gift"
        with tempfile.TemporaryDirectory(prefix="zachet-bank-") as folder:
            path = Path(folder) / name
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                report = quiz_import_gift(
                    section=section,
                    path=path,
                    quiz_title=str(request.data.get("quiz_title") or "") or None,
                    policy=ImportPolicy.OVERWRITE
                    if str(request.data.get("overwrite", "")).lower() in flag
                    else ImportPolicy.MERGE,
                    dry_run=str(request.data.get("dry_run", "")).lower() in flag,
                )
            except QuizImportError as error:
                problems = [p.replace(f"{folder}/", "") for p in error.problems]
                raise ApiError(
                    "invalid_file", "\n".join(problems), fields={"file": problems}
                ) from None
        hide = f"{folder}/"
        return Response(
            {
                "quizzes": [
                    {
                        "id": r.quiz.pk,
                        "title": r.quiz.title,
                        **{key: getattr(r, key) for key in REPORT_KEYS},
                    }
                    for r in report.quizzes
                ],
                "imported": report.imported,
                "skipped": [line.replace(hide, "") for line in report.skipped],
            }
        )


class QuizExportView(APIView):
    """GET a quiz as GIFT (`?as=gift`, the default) or Moodle XML (`?as=xml`)."""

    @extend_schema(
        tags=["quizzes"],
        responses={200: OpenApiResponse(description="the file; X-Left-Out names what it lacks")},
    )
    def get(self, request: Request, quiz_id: int) -> HttpResponse:
        quiz = quiz_taught(user=request.user, quiz_id=quiz_id)
        if quiz is None:
            raise exceptions.NotFound()
        wanted = request.query_params.get("as", "gift")  # ("format" is DRF's own)
        if wanted == "xml":
            text, left_out = quiz_export_moodle_xml(quiz=quiz)
            content_type = "application/xml"
        elif wanted == "gift":
            text, left_out = quiz_export_gift(quiz=quiz)
            content_type = "text/plain"
        else:
            raise ApiError("invalid", _("as: gift or xml."), fields={"as": ["choice"]})
        response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
        response["X-Left-Out"] = str(len(left_out))
        return response
