"""Accounts: sign up, log in (rate-limited, with lockout), log out, password reset, « mon compte »."""
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tilios.accounts import permissions, throttle
from tilios.accounts import services as accounts
from tilios.revisions.models import Revision

from .common import contributor_required, rate_limited, too_many
from .forms import DeleteAccountForm, SignupForm, TokenForm
from .records import attach_records


def _next_url(request, default="web:account"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse(default)


@rate_limited("signup")
def signup(request):
    if request.user.is_authenticated:
        return redirect("web:account")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.email = form.cleaned_data["email"]
        user.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Bienvenue ! Vos premières modifications seront relues avant publication."))
        return redirect(_next_url(request))
    return render(request, "web/accounts/signup.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def login_view(request):
    form = AuthenticationForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        username = (request.POST.get("username") or "")[:150]
        try:
            throttle.hit(request, "login")
        except throttle.RateLimited as exc:
            return too_many(request, exc)
        if throttle.is_locked_out(username):
            error = _("Trop d’échecs de connexion pour ce compte : réessayez dans 15 minutes, "
                      "ou réinitialisez votre mot de passe.")
            return render(request, "web/accounts/login.html", {
                "form": AuthenticationForm(request, initial={"username": username}), "error": error,
                "next": request.POST.get("next", "")}, status=429)
        if form.is_valid():
            throttle.login_succeeded(username)
            login(request, form.get_user())
            return redirect(_next_url(request))
        throttle.login_failed(username)
        status = 400
    return render(request, "web/accounts/login.html",
                  {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
                  status=status)


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("Vous êtes déconnecté."))
    return redirect("web:home")


@login_required
def account(request, new_token=None, token_form=None, status=200):
    user = request.user
    contributions = attach_records(list(Revision.objects.filter(author=user).select_related("content_type")
                                        .order_by("-id")[:100]))
    return render(request, "web/accounts/account.html", {
        "contributions": contributions, "tokens": user.api_tokens.order_by("-created_at"),
        "token_form": token_form or TokenForm(), "new_token": new_token,
        "role": permissions.role_of(user), "profile": user.profile,
        "managed": user.managed_places.select_related("place"),
    }, status=status)


@require_POST
@contributor_required
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return account(request, token_form=form, status=400)
    token = accounts.issue_token(request.user, form.cleaned_data["name"])
    # Rendered, not redirected: the token is shown once and stored nowhere but as a hash.
    response = account(request, new_token=token)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request, token_id):
    token = get_object_or_404(request.user.api_tokens, pk=token_id)
    token.delete()
    messages.success(request, _("Jeton révoqué."))
    return redirect("web:account")


@login_required
def delete_account(request):
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not request.user.check_password(form.cleaned_data["password"]):
            form.add_error("password", _("Mot de passe incorrect."))
        else:
            user = request.user
            logout(request)
            accounts.delete_account(user)
            messages.success(request, _("Votre compte est supprimé. Vos contributions restent, signées "
                                        "« %(name)s ».") % {"name": user.username})
            return redirect("web:home")
    return render(request, "web/accounts/delete.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


# --- password reset: Django's views, our templates, a rate limit on the request form ---------------

password_reset = rate_limited("password_reset")(auth_views.PasswordResetView.as_view(
    template_name="web/accounts/password_reset.html",
    email_template_name="web/accounts/password_reset_email.txt",
    subject_template_name="web/accounts/password_reset_subject.txt",
    success_url=reverse_lazy("web:password_reset_done")))
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="web/accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="web/accounts/password_reset_confirm.html", success_url=reverse_lazy("web:password_reset_complete"))
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="web/accounts/password_reset_complete.html")

