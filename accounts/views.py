"""Sign up (then logged in straight away); password reset e-mails, rate-limited; log in and out
are Django's own views."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import SignupForm
from accounts.services import client_address, password_reset_allowed, user_signup


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@sensitive_post_parameters("password1", "password2")
def signup_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("progress:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(form=form)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # A path, never a URL name: redirect("foo") would look "foo" up as a view name.
        return HttpResponseRedirect(_next_url(request) or reverse("progress:dashboard"))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "accounts/signup.html", {"form": form, "next": _next_url(request)}, status=status
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view, with at most a few e-mails an hour per e-mail address and per client
    address (accounts.services.password_reset_allowed): past that, the form says so (429)."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        allowed = password_reset_allowed(
            email=form.cleaned_data["email"], address=client_address(self.request)
        )
        if not allowed:
            form.add_error(
                None,
                _(
                    "Too many password reset requests for this address. "
                    "Please try again in an hour."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
