"""Course structure: a course has numbered parts, a part has numbered sections."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from deadlines.models import Scheduled


class Course(Scheduled):
    class Language(models.TextChoices):
        RUSSIAN = "ru", _("Russian")
        ENGLISH = "en", _("English")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.RUSSIAN
    )
    # Who may edit the course and see its learners' work (through the API).
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("instructors"),
        related_name="courses_taught",
        blank=True,
    )
    # What the last import wrote, a digest per group of the fields it owns (core.provenance):
    # how the next import tells an instructor's edits on the site from its own work.
    import_digests = models.JSONField(
        _("import digests"), default=dict, blank=True, editable=False, db_default={}
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:course", kwargs={"course_slug": self.slug})


class Part(Scheduled):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="parts", verbose_name=_("course")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    # The part's folder in the course source ("part4-infrastructure"), if known.
    slug = models.CharField(_("folder"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    study_time = models.CharField(_("study time"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    source_path = models.CharField(_("source path"), max_length=500, blank=True)
    # The README's navigation footer as [{"label": ..., "href": ...}], kept so an
    # exported README links where the author's did.
    nav_links = models.JSONField(_("navigation links"), default=list, blank=True)
    # The README as imported, byte for byte: export writes it back with only the status line
    # and the markers of sections whose state changed rewritten (courses.part_readme).
    source_text = models.TextField(_("README as imported"), blank=True, default="", db_default="")
    # What the last import wrote, a digest per group of the fields it owns (core.provenance):
    # how the next import tells an instructor's edits on the site from its own work.
    import_digests = models.JSONField(
        _("import digests"), default=dict, blank=True, editable=False, db_default={}
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["course_id", "order", "number"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "number"], name="part_number_unique_in_course"
            ),
        ]

    def __str__(self) -> str:
        return _("Part %(number)s: %(title)s") % {"number": self.number, "title": self.title}

    def get_absolute_url(self) -> str:
        return reverse(
            "courses:part", kwargs={"course_slug": self.course.slug, "part_number": self.number}
        )


class Section(Scheduled):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        PUBLISHED = "published", _("published")
        # No longer in the course source: kept (learner progress hangs off it), not shown.
        ARCHIVED = "archived", _("archived")

    part = models.ForeignKey(
        Part, on_delete=models.CASCADE, related_name="sections", verbose_name=_("part")
    )
    number = models.CharField(_("number"), max_length=16)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    material = models.TextField(_("material (Markdown)"), blank=True)
    # Sanitised HTML rendered from `material` by the services that write it.
    material_html = models.TextField(_("material (HTML)"), editable=False, blank=True)
    source_path = models.CharField(_("source path"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    # What the last import wrote, a digest per group of the fields it owns (core.provenance):
    # how the next import tells an instructor's edits on the site from its own work.
    import_digests = models.JSONField(
        _("import digests"), default=dict, blank=True, editable=False, db_default={}
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["part_id", "order", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(
                fields=["part", "number"], name="section_number_unique_in_part"
            ),
            models.UniqueConstraint(fields=["part", "slug"], name="section_slug_unique_in_part"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "courses:section",
            kwargs={
                "course_slug": self.part.course.slug,
                "part_number": self.part.number,
                "section_number": self.number,
            },
        )

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


def check_stays_in_course(item: models.Model, *, learners_work: models.QuerySet[Any]) -> None:
    """A quiz or an exercise that learners have worked on moves between the sections of its
    course, never to another course: its attempts or submissions, and the learners' progress,
    would follow it there, in front of that course's instructors."""
    section_id = getattr(item, "section_id", None)
    if item.pk is None or section_id is None:
        return
    stored = (
        type(item)
        ._default_manager.filter(pk=item.pk)
        .values_list("section__part__course_id", flat=True)
        .first()
    )
    wanted = Section.objects.filter(pk=section_id).values_list("part__course_id", flat=True).first()
    if stored is not None and wanted is not None and stored != wanted and learners_work.exists():
        raise ValidationError(
            {
                "section": _(
                    "Learners have already worked on this in its course: it can move only "
                    "to another section of the same course."
                )
            }
        )
