"""The help centre and the contact form: server-rendered, no cookie, no device storage.

The pages carry no CSRF token (a token would set a cookie before consent, TDDDG § 25)
and so are csrf_exempt, as privacy's request pages: they act on no ambient authority
(no session, no login is read), so a forged cross-site POST can do nothing the forger
could not do by posting directly. Rate limits per client guard the writes.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt

from bot.views import chat_page_csp
from helpcentre.forms import ContactForm, SuggestInputForm
from helpcentre.models import Category
from helpcentre.selectors import (
    article_get,
    articles_in_category,
    articles_most_asked,
    categories_for,
    contact_suggestions,
    help_search,
)
from helpcentre.services import (
    ContactRequest,
    article_vote,
    contact_deflection_record,
    contact_form_submit,
    search_index_ensure_current,
    search_miss_record,
)
from platform_core.rate_limit import client_rate_allows
from privacy.services import policy_version_active

QUERY_MAX_LENGTH = 200
ARTICLES_PER_PAGE = 50


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _embedded(request) -> bool:
    return request.GET.get("embed") == "1" or request.POST.get("embed") == "1"


def _page_url(name: str, request, *args, **params) -> str:
    """A customer page's address keeping the language and the widget's embed marker."""
    query = {"language": _language(), **params}
    if _embedded(request):
        query["embed"] = "1"
    return f"{reverse(name, args=args)}?{urlencode(query)}"


class CustomerPage(View):
    """What the help centre's pages share: the widget may frame them, as it frames the chat."""

    @method_decorator(xframe_options_exempt)
    @method_decorator(csrf_exempt)
    def dispatch(self, request, *args, **kwargs):
        return csp_override(chat_page_csp())(super().dispatch)(request, *args, **kwargs)

    def render(self, request, template: str, context: dict, status: int = 200):
        # Links between the pages keep the language and the widget's embed marker.
        keep = {"language": _language(), **({"embed": "1"} if _embedded(request) else {})}
        context = {"embedded": _embedded(request), "keep": urlencode(keep), **context}
        return render(request, template, context, status=status)


class HelpIndexView(CustomerPage):
    """Search, the most asked topics, and the articles by category (`?category=`)."""

    def get(self, request):
        language = _language()
        query = request.GET.get("q", "")[:QUERY_MAX_LENGTH].strip()
        context: dict = {"query": query, "categories": categories_for(language=language)}
        if query:
            search_index_ensure_current()
            result = help_search(query=query, language=language)
            if not result.good_hit and client_rate_allows(
                request=request,
                scope="miss",
                limit=settings.HELPCENTRE_MISS_RATE,
                window_seconds=60,
            ):
                search_miss_record(text=query, language=language)
            context["results"] = result.articles
            return self.render(request, "helpcentre/help_index.html", context)
        category_id = request.GET.get("category", "")
        if category_id:
            category = (
                get_object_or_404(Category, pk=category_id, language=language)
                # Digits only, and few: SQLite refuses integers beyond 64 bits with an error.
                if category_id.isdigit() and len(category_id) <= 12
                else None
            )
            if category is None and category_id != "none":
                raise Http404
            paginator = Paginator(
                articles_in_category(language=language, category=category), ARTICLES_PER_PAGE
            )
            context["category"] = category or "none"
            context["page"] = paginator.get_page(request.GET.get("page"))
            return self.render(request, "helpcentre/help_index.html", context)
        context["most_asked"] = articles_most_asked(language=language)
        return self.render(request, "helpcentre/help_index.html", context)


class ArticleView(CustomerPage):
    def get(self, request, slug: str):
        article = article_get(slug=slug, language=_language())
        if article is None:
            raise Http404
        context = {"article": article, "voted": request.GET.get("voted") in ("yes", "no")}
        return self.render(request, "helpcentre/article_detail.html", context)

    def post(self, request, slug: str):
        """ "Was this helpful?": counted once per click, nothing about the person."""
        article = article_get(slug=slug, language=_language())
        helpful = request.POST.get("helpful")
        if article is None:
            raise Http404
        if helpful not in ("yes", "no"):
            return self.render(
                request, "helpcentre/article_detail.html", {"article": article}, status=400
            )
        if client_rate_allows(
            request=request, scope="vote", limit=settings.HELPCENTRE_VOTE_RATE, window_seconds=60
        ):
            article_vote(answer=article, helpful=helpful == "yes")
        url = _page_url("helpcentre:article", request, slug, voted=helpful)
        return HttpResponseRedirect(url + "#feedback")


def contact_strings() -> dict[str, str]:
    """Every text the contact form's script shows, translated on the server."""
    return {
        "readArticle": _("Read the article"),
        "answered": _("This answered my question"),
        "found": _("Answers that may help are shown below the message."),
        "suggestionsUrl": reverse("helpcentre:contact-suggestions"),
        "language": _language(),
    }


class ContactView(CustomerPage):
    """The contact form. "Show matching answers" (without script) or the page's script
    shows the classifier's answers; "Send" makes it a conversation for the team."""

    template_name = "helpcentre/contact_form.html"

    def _context(self, form, suggestions=None) -> dict:
        policy = policy_version_active(language=_language())
        return {
            "form": form,
            "policy": policy,
            "suggestions": suggestions,
            "contact_strings": contact_strings(),
        }

    def get(self, request):
        policy = policy_version_active(language=_language())
        form = ContactForm(initial={"policy_version": policy.version if policy else ""})
        return self.render(request, self.template_name, self._context(form))

    def post(self, request):
        form = ContactForm(request.POST)
        if "check" in request.POST:
            # Without script: the answers for what was typed, the form kept as it was.
            text = f"{request.POST.get('subject', '')}\n{request.POST.get('message', '')}"
            suggestions = contact_suggestions(text=text[:4000], language=_language())
            data = request.POST.copy()
            data["suggestions_shown"] = "on" if suggestions else data.get("suggestions_shown", "")
            form = ContactForm(initial=data.dict())
            return self.render(request, self.template_name, self._context(form, suggestions))
        if not client_rate_allows(
            request=request, scope="form", limit=settings.HELPCENTRE_FORM_RATE, window_seconds=600
        ):
            form.add_error(
                None, _("You have sent several requests just now. Please wait a few minutes.")
            )
            return self.render(request, self.template_name, self._context(form), status=429)
        if not form.is_valid():
            return self.render(request, self.template_name, self._context(form), status=400)
        try:
            contact_form_submit(
                ContactRequest(
                    language=_language(),
                    subject=form.cleaned_data["subject"],
                    message=form.cleaned_data["message"],
                    identity=form.identity(),
                    policy_version=form.cleaned_data["policy_version"],
                    purposes=form.consent_purposes(),
                    suggestions_shown=form.cleaned_data["suggestions_shown"],
                    ip_address=request.META.get("REMOTE_ADDR"),
                )
            )
        except ValidationError as error:
            form.add_error(None, error.messages[0] if error.messages else _("Please try again."))
            if getattr(error, "code", "") == "policy_outdated":
                policy = policy_version_active(language=_language())
                data = request.POST.copy()
                data["policy_version"] = policy.version if policy else ""
                form.data = data
            return self.render(request, self.template_name, self._context(form), status=400)
        return HttpResponseRedirect(_page_url("helpcentre:contact-sent", request))


class ContactSentView(CustomerPage):
    def get(self, request):
        return self.render(request, "helpcentre/contact_done.html", {"sent": True})


class ContactAnsweredView(CustomerPage):
    """ "This answered my question": counted as a deflection; the form is not sent."""

    def get(self, request):
        return self.render(request, "helpcentre/contact_done.html", {"sent": False})

    def post(self, request):
        article = article_get(slug=request.POST.get("article", ""), language=_language())
        if article is not None and client_rate_allows(
            request=request, scope="deflect", limit=settings.HELPCENTRE_VOTE_RATE, window_seconds=60
        ):
            contact_deflection_record(answer=article)
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"counted": article is not None})
        return HttpResponseRedirect(_page_url("helpcentre:contact-answered", request))


@method_decorator(csrf_exempt, name="dispatch")
class ContactSuggestView(View):
    """JSON for the form's script: the answers matching what was typed so far.

    POST, so the text never appears in an address or an access log; it is classified
    and forgotten, never stored.
    """

    def post(self, request):
        if not client_rate_allows(
            request=request,
            scope="suggest",
            limit=settings.HELPCENTRE_SUGGEST_RATE,
            window_seconds=60,
        ):
            return JsonResponse({"code": "rate_limited", "suggestions": []}, status=429)
        form = SuggestInputForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"code": "invalid", "fields": list(form.errors)}, status=400)
        language = form.cleaned_data["language"]
        with translation.override(language):
            suggestions = [
                {
                    "slug": answer.intent.slug,
                    "title": answer.title,
                    "answer": answer.text,
                    "url": f"{reverse('helpcentre:article', args=[answer.intent.slug])}"
                    f"?language={language}",
                }
                for answer in contact_suggestions(text=form.cleaned_data["text"], language=language)
            ]
        return JsonResponse({"suggestions": suggestions})
