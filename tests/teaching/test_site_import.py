"""Import and export on the teaching pages: a GIFT file is previewed (nothing written) with
every line it cannot read, imported only on confirmation, never over what was edited on the
site; quizzes export as GIFT and parts as their README. A course's instructors only."""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Mapping
from decimal import Decimal
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from courses.models import Part
from courses.readme_export import part_readme_render
from grader.models import CodingExercise
from quizzes.authoring import question_save, quiz_import_gift
from quizzes.models import Question, Quiz
from teaching.models import StagedUpload
from teaching.site_import import MAX_BYTES
from tests.conftest import REPO_DIR
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db
GIFT_KIND = StagedUpload.Kind.GIFT

GIFT = (
    "$CATEGORY: Каналы\n\n"
    "::Буфер:: Сколько значений держит небуферизованный канал? {#0}\n\n"
    "::Закрытие:: Чтение из закрытого канала блокирует? {F}\n"
)
BROKEN = (
    "::Хороший:: Go компилируемый? {T}\n\n"
    "::Плохой:: Сколько? {#abc}\n\n"
    "::Незакрытый:: Что такое канал? {=труба ~дыра\n"
)


@pytest.fixture
def world():
    section = SectionFactory.create(number="4.2", title="Каналы")
    course = section.part.course
    teacher = UserFactory.create(username="teacher")
    course.instructors.add(teacher)
    return course, section, teacher


def client_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def upload(client, course, section, text: str, name: str = "kanaly.gift", **extra):
    return client.post(
        f"/teach/{course.slug}/import/gift/",
        {"section": section.pk, "file": SimpleUploadedFile(name, text.encode()), **extra},
    )


def test_a_gift_file_is_previewed_then_imported_on_confirmation(world):
    course, section, teacher = world
    client = client_of(teacher)

    preview = upload(client, course, section, GIFT)

    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Will be created (2)" in html
    assert "Буфер" in html
    assert "Закрытие" in html
    assert "Into section 4.2 Каналы: «Каналы»" in html
    assert not Quiz.objects.exists()  # a preview writes nothing
    assert not Question.objects.exists()
    staged = StagedUpload.objects.get()

    done = client.post(f"/teach/{course.slug}/import/staged/{staged.token}/", follow=True)

    quiz = Quiz.objects.get(section=section)
    assert quiz.title == "Каналы"
    assert sorted(quiz.questions.values_list("title", flat=True)) == ["Буфер", "Закрытие"]
    assert (
        "Imported into the quiz «Каналы»: 2 created, 0 updated, 0 removed, 0 skipped (named in "
        "the preview)." in (done.content.decode())
    )
    assert not StagedUpload.objects.exists()


def test_every_line_that_cannot_be_read_is_named_and_the_rest_imports(world):
    course, section, teacher = world
    client = client_of(teacher)

    preview = upload(client, course, section, BROKEN, name="../../etc/плохой.gift")

    html = preview.content.decode()
    assert "Will be skipped: questions we cannot represent (the line and why) (2)" in html
    assert "плохой.gift:3: question" in html  # as uploaded, no folders, no server path
    assert "плохой.gift:5: question" in html
    assert "/tmp" not in html
    assert "zachet-upload" not in html
    assert not Question.objects.exists()  # (a preview writes nothing)
    done = client.post(
        f"/teach/{course.slug}/import/staged/{StagedUpload.objects.get().token}/", follow=True
    )
    assert "1 created, 0 updated, 0 removed, 2 skipped" in done.content.decode()
    assert list(Question.objects.values_list("title", flat=True)) == ["Хороший"]


def test_a_file_with_nothing_to_import_is_refused_and_named(world):
    course, section, teacher = world

    preview = upload(client_of(teacher), course, section, BROKEN.split("\n\n", 1)[1])

    html = preview.content.decode()
    assert "The file cannot be imported" in html
    assert "Fix these 3 lines" in html
    assert 'action="/teach/' not in html.split("The file cannot be imported")[1]  # no Import
    assert not Question.objects.exists()


def test_a_question_edited_on_the_site_is_kept_and_the_preview_says_so(world):
    course, section, teacher = world
    client = client_of(teacher)
    upload(client, course, section, GIFT)
    client.post(f"/teach/{course.slug}/import/staged/{StagedUpload.objects.get().token}/")
    edited = Question.objects.get(title="Буфер")
    edited.text = "Сколько значений держит канал без буфера? (правка на сайте)"
    question_save(question=edited)

    preview = upload(
        client, course, section, GIFT.replace("Сколько значений", "Сколько же значений")
    )
    client.post(f"/teach/{course.slug}/import/staged/{StagedUpload.objects.get().token}/")

    assert "Not changed: edited on the site since the last import" in preview.content.decode()
    edited.refresh_from_db()
    assert edited.text.endswith("(правка на сайте)")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"section": ""}, "Section: This field is required."),
        ({"file": ""}, "File: The submitted file is empty."),
        (
            {"file": "x" * (MAX_BYTES[GIFT_KIND] + 1)},
            "File: The file is larger than 20 MB.",
        ),
        ({"section": "other"}, "Section: Choose a section of this course."),
    ],
)
def test_a_refused_upload_names_the_field(world, data, message):
    course, section, teacher = world
    other = SectionFactory.create()
    form = {"section": section.pk, "file": SimpleUploadedFile("q.gift", GIFT.encode())}
    for key, value in data.items():
        if key == "file":
            form["file"] = SimpleUploadedFile("q.gift", value.encode())
        else:
            form[key] = other.pk if value == "other" else value

    response = client_of(teacher).post(f"/teach/{course.slug}/import/gift/", form)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StagedUpload.objects.exists()


def test_only_the_uploader_confirms_and_only_instructors_reach_the_pages(world):
    course, section, teacher = world
    upload(client_of(teacher), course, section, GIFT)
    staged = StagedUpload.objects.get()
    colleague = UserFactory.create()
    course.instructors.add(colleague)
    learner = UserFactory.create()

    theirs = client_of(colleague).post(
        f"/teach/{course.slug}/import/staged/{staged.token}/", follow=True
    )

    assert "That upload has expired or is not yours" in theirs.content.decode()
    assert not Question.objects.exists()
    client = client_of(learner)
    quiz = QuizFactory.create(section=section)
    for url in (
        f"/teach/{course.slug}/import/",
        f"/teach/{course.slug}/export/quizzes/{quiz.pk}.gift",
        f"/teach/{course.slug}/export/parts/{section.part.number}/README.md",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/teach/{course.slug}/import/staged/{staged.token}/").status_code == 404
    assert upload(client, course, section, GIFT).status_code == 404


def test_a_quiz_exports_as_gift_that_imports_back_the_same(world, tmp_path):
    course, section, teacher = world
    quiz = QuizFactory.create(section=section, title="Каналы и горутины")
    QuestionFactory.create(quiz=quiz, title="Канал", order=1)
    essay = {"min_words": 0, "max_words": None, "grader_info": ""}
    QuestionFactory.create(
        quiz=quiz, title="Эссе", type="essay", spec=essay, points=Decimal("3"), order=2
    )
    order = {"items": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}], "scoring": "positions"}
    QuestionFactory.create(quiz=quiz, title="Порядок", type="ordering", spec=order, order=3)

    response = client_of(teacher).get(f"/teach/{course.slug}/export/quizzes/{quiz.pk}.gift")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert unquote(disposition.split("''", 1)[1]) == "Каналы и горутины.gift"
    text = response.content.decode()
    assert text.startswith("// left out (GIFT cannot express it): Порядок\n")
    file = tmp_path / "export.gift"
    file.write_text(text, encoding="utf-8")
    again = quiz_import_gift(section=SectionFactory.create(), path=file).quiz
    assert [(q.title, q.type, q.spec) for q in again.questions.order_by("order")] == [
        (q.title, q.type, q.spec) for q in quiz.questions.order_by("order") if q.type != "ordering"
    ]


def test_a_part_exports_its_readme_as_the_exporter_writes_it(world):
    course, section, teacher = world

    response = client_of(teacher).get(
        f"/teach/{course.slug}/export/parts/{section.part.number}/README.md"
    )

    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.content.decode() == part_readme_render(part=section.part)


DEMO_EXERCISE = REPO_DIR / "demo" / "exercises" / "4.4-token-bucket-python"


def zipped(files: Mapping[str, bytes | str], **links: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, target in links.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def folder_zip(folder: Path, top: str) -> bytes:
    files = {
        f"{top}/{path.relative_to(folder)}": path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    return zipped(files)


def send(client, course, kind: str, name: str, data: bytes, section=None):
    form = {"file": SimpleUploadedFile(name, data)}
    if section is not None:
        form["section"] = section.pk
    return client.post(f"/teach/{course.slug}/import/{kind}/", form)


def test_an_exercise_folder_zip_is_previewed_then_imported_and_its_check_queued(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    course, section, teacher = world
    queued = []
    monkeypatch.setattr(
        "grader.services.exercise_queue_check",
        lambda *, exercise_id, publish: queued.append((exercise_id, publish)) or True,
    )
    client = client_of(teacher)

    preview = send(
        client, course, "exercise", "bucket.zip", folder_zip(DEMO_EXERCISE, "bucket"), section
    )

    html = preview.content.decode()
    assert "Will be created (1)" in html
    assert "Rate limiter" in html
    assert not CodingExercise.objects.exists()
    staged = StagedUpload.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/teach/{course.slug}/import/staged/{staged.token}/", follow=True)

    exercise = CodingExercise.objects.get(section=section)
    assert (exercise.is_published, exercise.check_status) == (False, "unchecked")
    assert queued == [(exercise.pk, True)]
    assert "A worker checks it now" in done.content.decode()


@pytest.mark.parametrize(
    ("files", "links", "problem"),
    [
        ({"../evil.txt": "x"}, {}, "bad.zip: ../evil.txt: a path outside the archive's folder"),
        ({"/etc/evil": "x"}, {}, "bad.zip: /etc/evil: a path outside the archive's folder"),
        ({"ok.txt": "x"}, {"link": "/etc/passwd"}, "bad.zip: link: links are not accepted"),
        ({"big": b"\0" * (2 * 1024 * 1024)}, {}, "bad.zip: more than 1 MB unpacked"),
        (
            {"bucket/README.md": "# no toml"},
            {},
            "bucket: not an exercise folder (needs exercise.toml",
        ),
    ],
)
def test_a_hostile_or_broken_zip_is_refused_by_name_and_nothing_lands(
    world, monkeypatch, tmp_path, files, links, problem
):
    course, section, teacher = world
    monkeypatch.setattr("teaching.site_import.UNPACKED_MAX_BYTES", 1024 * 1024)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    preview = send(
        client_of(teacher), course, "exercise", "bad.zip", zipped(files, **links), section
    )

    html = unescape(preview.content.decode())
    assert "The file cannot be imported" in html
    assert problem in html, html.split("<ul>")[1][:500]
    assert not CodingExercise.objects.exists()
    assert not (tmp_path.parent / "evil.txt").exists()
    assert list(tmp_path.iterdir()) == []  # unpacked files are gone


def test_a_not_zip_is_refused(world):
    course, section, teacher = world
    preview = send(client_of(teacher), course, "exercise", "x.zip", b"not a zip", section)
    assert "x.zip: not a .zip archive" in preview.content.decode()


def test_a_part_readme_and_an_mdbook_zip_import_into_the_course(world):
    course, _section, teacher = world
    client = client_of(teacher)
    seed = sorted((REPO_DIR / "tests" / "data" / "readmes").glob("*.md"))[0].read_bytes()
    book = zipped({
        "book/SUMMARY.md": "# Часть 7: Проекты\n\n- [Проект](part7/p/README.md)\n"
                           "    - [Глава](part7/p/ch.md)\n- [Второй](part7/q/README.md)\n",
        "book/part7/p/README.md": "# Проект\n", "book/part7/p/ch.md": "# Глава\n",
        "book/part7/q/README.md": "# Второй\n",
    })  # fmt: skip

    preview = send(client, course, "course", "kniga.zip", book)

    assert "Will be created" in preview.content.decode()
    assert not Part.objects.filter(course=course, number=7).exists()
    client.post(f"/teach/{course.slug}/import/staged/{StagedUpload.objects.get().token}/")
    part = Part.objects.get(course=course, number=7)
    assert sorted(part.sections.values_list("number", flat=True)) == ["7.1", "7.1.1", "7.2"]
    # a part README of the course's own
    send(client, course, "course", "README.md", seed)
    done = client.post(
        f"/teach/{course.slug}/import/staged/{StagedUpload.objects.get().token}/", follow=True
    )
    assert "Imported into the course" in done.content.decode()
