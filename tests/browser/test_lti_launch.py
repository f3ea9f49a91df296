"""An LMS page (the test LMS) embeds our tool in an iframe through a real LTI 1.3 launch: the
learner lands on a Go exercise inside the frame, signed in by the launch (cookies that survive
the cross-site frame), submits a solution that passes, and the LMS receives the score through
AGS, posted by a real worker (issue 24)."""

from __future__ import annotations

import html
import json
import time
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec

from lti.models import Deployment, Identity, Platform
from tests.browser.conftest import Page
from tests.browser.test_learner_journey import demo_part_with_one_quiz_and_one_exercise, wait
from tests.conftest import celery_worker
from tests.lti.lms import CLIENT_ID, DEPLOYMENT_ID, running_lms

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.browser]


def test_an_lms_page_launches_an_exercise_in_a_frame_and_gets_the_score(
    browser: WebDriver, live_server, live_worker_env, go_cache, monkeypatch
) -> None:
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)  # the import check, in this process
    _quiz, exercise = demo_part_with_one_quiz_and_one_exercise(go_cache)
    driver = browser
    driver.delete_all_cookies()
    with running_lms() as lms:
        platform = Platform.objects.create(
            name="Test LMS", issuer=lms.issuer, client_id=CLIENT_ID,
            auth_login_url=lms.url("/auth"), auth_token_url=lms.url("/token"),
            jwks_url=lms.url("/jwks"), course=exercise.section.part.course,
        )  # fmt: skip
        Deployment.objects.create(platform=platform, deployment_id=DEPLOYMENT_ID)
        # The LMS reads our keys where a real one does: our JWKS URL.
        lms.tool_jwks_url = live_server.url + "/lti/jwks/"
        target = f"{live_server.url}/exercises/{exercise.pk}/"
        hint = json.dumps({"resource_link_id": "go-link", "target_link_uri": target})
        login = live_server.url + "/lti/login/?" + urlencode({
            "iss": lms.issuer, "login_hint": "student-9", "target_link_uri": target,
            "client_id": CLIENT_ID, "lti_message_hint": hint,
        })  # fmt: skip
        frame = (
            "<!DOCTYPE html><html lang=en><title>LMS course</title><h1>Go 101</h1>"
            f'<iframe id="tool" title="Zachet" src="{html.escape(login)}" '
            'style="width:1200px;height:900px"></iframe>'
        )
        page = Page(driver, lms.base_url, "lti-launch")
        # The LMS is another site (127.0.0.1) than the tool (localhost): a third-party frame.
        assert "localhost" in live_server.url
        page.open("/page?html=" + quote(frame))

        driver.switch_to.frame(driver.find_element(By.ID, "tool"))
        wait(driver, 60).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "textarea.editor__code"))
        )
        assert driver.execute_script("return location.href") == target
        identity = Identity.objects.get(sub="student-9")
        driver.switch_to.default_content()
        page.screenshot("exercise inside the LMS frame")
        driver.switch_to.frame(driver.find_element(By.ID, "tool"))

        # The learner submits the reference solution, in the frame (CSRF cookie and all).
        code = exercise.reference_files[next(iter(exercise.reference_files))]
        editor = driver.find_element(By.CSS_SELECTOR, "textarea.editor__code")
        driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            editor,
            code,
        )
        driver.find_element(By.CSS_SELECTOR, "form.editor button[type=submit]").click()
        wait(driver).until(lambda d: "/submissions/" in d.execute_script("return location.href"))

        env = {**live_worker_env, "GRADER_GO_CACHE": str(go_cache)}
        with celery_worker(env, queues="quiz,code,webhooks"):
            wait(driver, 120).until(
                ec.presence_of_element_located(
                    (By.CSS_SELECTOR, "[data-live-final] .verdict--passed")
                )
            )
            deadline = time.monotonic() + 60
            while not lms.scores and time.monotonic() < deadline:
                time.sleep(0.2)
        driver.switch_to.default_content()
        page.screenshot("passed, and the score sent to the LMS")

    (score,) = lms.scores
    assert score["lineitem"] == "/ags/course-101/lineitems/go-link"
    assert score["userId"] == "student-9"
    assert score["scoreGiven"] == score["scoreMaximum"] == float(exercise.points)
    assert score["gradingProgress"] == "FullyGraded"
    assert lms.token_requests == 1
    assert identity.user.submissions.count() == 1


def test_an_instructor_picks_a_quiz_in_the_lms_frame_and_the_lms_receives_the_link(
    browser: WebDriver, live_server, transactional_db
) -> None:
    import jwt

    from lti import claims
    from lti.keys import tool_jwks
    from tests.factories import QuestionFactory

    quiz = QuestionFactory.create().quiz
    driver = browser
    driver.delete_all_cookies()
    with running_lms() as lms:
        platform = Platform.objects.create(
            name="Test LMS", issuer=lms.issuer, client_id=CLIENT_ID,
            auth_login_url=lms.url("/auth"), auth_token_url=lms.url("/token"),
            jwks_url=lms.url("/jwks"), course=quiz.section.part.course,
        )  # fmt: skip
        Deployment.objects.create(platform=platform, deployment_id=DEPLOYMENT_ID)
        target = live_server.url + "/lti/launch/"
        hint = json.dumps({
            "message_type": claims.DEEP_LINKING_REQUEST, "roles": [claims.ROLE_INSTRUCTOR],
            "target_link_uri": target,
        })  # fmt: skip
        login = live_server.url + "/lti/login/?" + urlencode({
            "iss": lms.issuer, "login_hint": "teacher-1", "target_link_uri": target,
            "client_id": CLIENT_ID, "lti_message_hint": hint,
        })  # fmt: skip
        frame = (
            "<!DOCTYPE html><html lang=en><title>LMS course</title><h1>Add an activity</h1>"
            f'<iframe id="tool" title="Zachet" src="{html.escape(login)}" '
            'style="width:1200px;height:900px"></iframe>'
        )
        page = Page(driver, lms.base_url, "lti-deep-linking")
        page.open("/page?html=" + quote(frame))
        driver.switch_to.frame(driver.find_element(By.ID, "tool"))
        box = wait(driver, 60).until(
            ec.element_to_be_clickable((By.CSS_SELECTOR, f'input[value="quiz:{quiz.pk}"]'))
        )
        page.check("the deep linking picker")
        box.click()
        driver.find_element(By.CSS_SELECTOR, "#deep-link-form button[type=submit]").click()
        wait(driver, 30).until(ec.presence_of_element_located((By.ID, "deep-link-done")))
        driver.switch_to.default_content()

    (posted,) = lms.deep_link_responses
    token = posted["JWT"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in tool_jwks()["keys"] if k["kid"] == kid)
    body = jwt.decode(token, jwt.PyJWK.from_dict(jwk).key, algorithms=["RS256"],
                      audience=lms.issuer)  # fmt: skip
    (item,) = body[claims.DL_CONTENT_ITEMS]
    assert item["url"] == f"{live_server.url}/quizzes/{quiz.pk}/"
    assert item["lineItem"]["scoreMaximum"] == 1.0
