"""LTI endpoints: our JWKS, the OIDC login initiation, the launch, dynamic registration, deep
linking, and the instructor's log of scores sent to the LMS."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.services import client_address, window_count
from lti import claims
from lti.deep_linking import catalogue, chosen_items, content_item, deep_link_response
from lti.embedding import SESSION_KEY, cookie_for_frame, platform_origin
from lti.grades import score_resend
from lti.keys import tool_jwks
from lti.launch import (
    CookiesBlocked,
    LaunchError,
    id_token_validate,
    login_start,
    state_cookie_name,
)
from lti.models import Membership, ScoreDelivery
from lti.registration import ToolUrls, platform_register_dynamically
from lti.roster import roster_sync_request
from lti.selectors import (
    course_context,
    course_contexts,
    deep_linking_course,
    deep_linking_platform,
    score_delivery_of_course,
    score_log,
)
from lti.services import Launched, launch_complete
from teaching.selectors import taught_course

logger = logging.getLogger(__name__)


@require_GET
def jwks_view(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(tool_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


def _refused_page(request: HttpRequest, error: LaunchError) -> HttpResponse:
    # The detail is for the log; the page says what the person can do.
    logger.warning("LTI refused: %s", error.detail or error)
    return render(request, "lti/refused.html", {"message": error.message}, status=403)


@csrf_exempt  # a cross-site form post from the LMS: the state and the signed token prove it
@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    logins = window_count(key=f"lti:login:{client_address(request)}", window_seconds=60)
    if logins > settings.LTI_LOGINS_PER_ADDRESS_PER_MINUTE:
        logger.warning("LTI logins refused: over the limit per address a minute")
        message = _(
            "Too many sign-ins from your network in a minute: wait a minute and open the link "
            "again."
        )
        response = render(request, "lti/refused.html", {"message": message}, status=429)
        response["Retry-After"] = "60"
        return response
    try:
        redirect = login_start(
            params={name: str(value) for name, value in params.items()},
            redirect_uri=request.build_absolute_uri(reverse("lti:launch")),
        )
    except LaunchError as error:
        return _refused_page(request, error)
    response = HttpResponseRedirect(redirect.url)
    # Binds the state to this browser. SameSite=None: it comes back with the LMS's
    # cross-site form post of the launch, inside the LMS's frame.
    name = state_cookie_name(redirect.state)
    response.set_cookie(
        name,
        redirect.state,
        max_age=settings.LTI_LOGIN_STATE_SECONDS,
        httponly=True,
        path=reverse("lti:launch"),
    )
    cookie_for_frame(response.cookies[name])
    return response


def _cookies_blocked_page(request: HttpRequest, error: CookiesBlocked) -> HttpResponse:
    logger.info("LTI launch without its state cookie (cookies blocked in the frame?)")
    restart = reverse("lti:login") + "?" + urlencode(error.login_params)
    return render(request, "lti/cookies_blocked.html", {"restart_url": restart}, status=403)


def _after_launch(request: HttpRequest, launched: Launched) -> HttpResponse:
    link = launched.link
    if link is None:  # a deep linking request: its page
        return HttpResponseRedirect(reverse("lti:deep_link"))
    if link.quiz_id is not None:
        return HttpResponseRedirect(reverse("quizzes:quiz", kwargs={"quiz_id": link.quiz_id}))
    return HttpResponseRedirect(
        reverse("grader:exercise", kwargs={"exercise_id": link.exercise_id})
    )


@csrf_exempt  # the id_token is the proof: signed by the platform, for this state and nonce
@xframe_options_exempt
@never_cache
@require_POST
def launch_view(request: HttpRequest) -> HttpResponse:
    state = str(request.POST.get("state", ""))
    try:
        launch = id_token_validate(
            id_token=str(request.POST.get("id_token", "")), state=state, cookies=request.COOKIES
        )
        launched = launch_complete(launch=launch)
    except CookiesBlocked as error:
        return _cookies_blocked_page(request, error)
    except LaunchError as error:
        return _refused_page(request, error)
    deep_linking = launch.message_type == claims.DEEP_LINKING_REQUEST
    if deep_linking and launched.role == Membership.Role.LEARNER:
        refusal = LaunchError(_("Only an instructor of the LMS course can choose content."))
        return _refused_page(request, refusal)
    login(request, launched.identity.user, backend="django.contrib.auth.backends.ModelBackend")
    session: dict[str, Any] = {
        "platform_origin": platform_origin(launch.platform),
        "context": launched.context.pk,
        "role": launched.role,
    }
    if deep_linking:
        session["deep_linking"] = {
            "platform": launch.platform.pk,
            "deployment_id": launch.deployment.deployment_id,
            "settings": launch.claims.get(claims.DL_SETTINGS) or {},
            "course": launched.context.course_id,
        }
    request.session[SESSION_KEY] = session
    response = _after_launch(request, launched)
    response.delete_cookie(state_cookie_name(state), path=reverse("lti:launch"))
    cookie_for_frame(response.cookies[state_cookie_name(state)])
    return response


def tool_urls(request: HttpRequest) -> ToolUrls:
    return ToolUrls(
        login=request.build_absolute_uri(reverse("lti:login")),
        launch=request.build_absolute_uri(reverse("lti:launch")),
        jwks=request.build_absolute_uri(reverse("lti:jwks")),
    )


@xframe_options_exempt  # the LMS opens it in a frame or a window of its admin pages
@never_cache
@require_GET
def register_view(request: HttpRequest, token: str) -> HttpResponse:
    """LTI Dynamic Registration: the LMS opens our invitation URL with its configuration."""
    try:
        platform = platform_register_dynamically(
            token=token,
            openid_configuration=str(request.GET.get("openid_configuration", "")),
            registration_token=str(request.GET.get("registration_token", "")),
            urls=tool_urls(request),
        )
    except LaunchError as error:
        return _refused_page(request, error)
    return render(request, "lti/registered.html", {"platform": platform})


@require_GET
@login_required
def score_log_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The instructor's delivery log of the scores sent to the LMS, with their state."""
    course = taught_course(user=request.user, course_slug=course_slug)
    status = str(request.GET.get("status", ""))
    context = {
        "course": course,
        "deliveries": score_log(course=course, status=status),
        "statuses": ScoreDelivery.Status.choices,
        "status": status,
        "resendable": {ScoreDelivery.Status.FAILED, ScoreDelivery.Status.SUCCEEDED},
    }
    return render(request, "lti/score_log.html", context)


@require_POST
@login_required
def score_resend_view(request: HttpRequest, course_slug: str, delivery_id: int) -> HttpResponse:
    course = taught_course(user=request.user, course_slug=course_slug)
    delivery = score_delivery_of_course(course=course, delivery_id=delivery_id)
    score_resend(delivery=delivery)
    messages.success(request, _("The score is queued to be sent again."))
    return HttpResponseRedirect(reverse("lti:scores", kwargs={"course_slug": course.slug}))


def _deep_linking(request: HttpRequest) -> dict[str, Any] | None:
    lti = request.session.get(SESSION_KEY)
    found = lti.get("deep_linking") if isinstance(lti, dict) else None
    return found if isinstance(found, dict) and request.user.is_authenticated else None


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 19]


@xframe_options_exempt  # (the LMS's frame: EmbeddedSessionMiddleware sets frame-ancestors)
@never_cache
@require_http_methods(["GET", "POST"])
def deep_link_view(request: HttpRequest) -> HttpResponse:
    """The instructor picks items; they go back to the LMS in a signed response, posted by
    the browser to the LMS's return URL."""
    state = _deep_linking(request)
    if state is None:
        error = LaunchError(
            _("Open this page from your LMS (add an activity, then choose Zachet).")
        )
        return _refused_page(request, error)
    course = deep_linking_course(course_id=int(state["course"]))
    settings_claim = dict(state.get("settings") or {})
    error_message = None
    if request.method == "POST":
        items = chosen_items(
            course=course,
            keys=request.POST.getlist("item"),
            section_ids=_ints(request.POST.getlist("section")),
            part_ids=_ints(request.POST.getlist("part")),
        )
        content = [
            content_item(item, url=request.build_absolute_uri(reverse(
                "quizzes:quiz" if item.kind == "quiz" else "grader:exercise",
                args=[item.pk],
            )))
            for item in items
        ]  # fmt: skip
        try:
            token = deep_link_response(
                platform=deep_linking_platform(platform_id=int(state["platform"])),
                deployment_id=str(state["deployment_id"]),
                settings_claim=settings_claim,
                items=content,
            )
        except LaunchError as refused:
            error_message = refused.message
        else:
            lti = dict(request.session[SESSION_KEY])
            lti.pop("deep_linking", None)  # one response per request
            request.session[SESSION_KEY] = lti
            context = {
                "return_url": settings_claim.get("deep_link_return_url", ""),
                "jwt": token,
                "count": len(content),
            }
            return render(request, "lti/deep_link_return.html", context)
    context = {
        "course": course,
        "parts": catalogue(course=course),
        "multiple": settings_claim.get("accept_multiple", True) is not False,
        "error": error_message,
    }
    return render(request, "lti/deep_link.html", context, status=400 if error_message else 200)


@require_GET
@login_required
def roster_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The LMS courses tied to this one and their members, with a sync from the LMS (NRPS)."""
    course = taught_course(user=request.user, course_slug=course_slug)
    context = {"course": course, "contexts": course_contexts(course=course)}
    return render(request, "lti/roster.html", context)


@require_POST
@login_required
def roster_sync_view(request: HttpRequest, course_slug: str, context_id: int) -> HttpResponse:
    """Queue a sync of the LMS course's members (a task runs it: thousands of members take
    a while); pressed again while one is queued or running, that one is kept."""
    course = taught_course(user=request.user, course_slug=course_slug)
    lms_course = course_context(course=course, context_id=context_id)
    try:
        requester = request.user if isinstance(request.user, User) else None  # (logged in)
        _sync, queued = roster_sync_request(context=lms_course, requested_by=requester)
    except LaunchError as error:
        messages.error(request, str(error.message))
    else:
        if queued:
            messages.success(request, _("The sync is queued; its status is shown below."))
        else:
            messages.info(request, _("A sync of this LMS course is already under way."))
    return HttpResponseRedirect(reverse("lti:roster", kwargs={"course_slug": course.slug}))
