"""Admin pages for courses, parts and sections; section edits save through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin_search import SearchIgnoresCase
from courses.models import Course, Part, Section
from courses.services import course_save, part_save, section_save
from courses.status import Completion


class PartInline(admin.TabularInline):
    model = Part
    fields = ("number", "title", "order", "study_time")
    extra = 0
    show_change_link = True


@admin.register(Course)
class CourseAdmin(SearchIgnoresCase):
    list_display = ("title", "slug", "language", "updated_at")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [PartInline]

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        course_save(course=obj)  # (a change of exam mode recounts progress)


class SectionInline(admin.TabularInline):
    model = Section
    fields = ("number", "title", "status", "order")
    extra = 0
    show_change_link = True


@admin.register(Part)
class PartAdmin(SearchIgnoresCase):
    list_display = ("__str__", "course", "status_summary", "study_time")
    list_filter = ("course",)
    search_fields = ("title",)
    inlines = [SectionInline]
    # What import_course read; export writes it back (courses.part_readme). Edited in git.
    readonly_fields = ("source_text",)

    def save_model(self, request: HttpRequest, obj: Part, form: Any, change: bool) -> None:
        part_save(part=obj)  # (a change of exam mode recounts progress)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Part]:
        live = ~Q(sections__status=Section.Status.ARCHIVED)
        return (
            super()
            .get_queryset(request)
            .select_related("course")
            .annotate(
                live_total=Count("sections", filter=live),
                published_total=Count(
                    "sections", filter=Q(sections__status=Section.Status.PUBLISHED)
                ),
            )
        )

    @admin.display(description=_("status"))
    def status_summary(self, part: Any) -> str:
        return Completion(done=part.published_total, total=part.live_total).summary()


@admin.register(Section)
class SectionAdmin(SearchIgnoresCase):
    list_display = ("number", "title", "part", "status", "updated_at")
    list_filter = ("status", "part__course", "part")
    search_fields = ("title", "number")
    list_select_related = ("part", "part__course")
    readonly_fields = ("source_path", "created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: Section, form: Any, change: bool) -> None:
        section_save(section=obj)
