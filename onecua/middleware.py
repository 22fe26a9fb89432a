"""Request middleware of OneCua.

Vietnamese first: the UI language is the one the user chose (cookie), else Vietnamese.

Django's LocaleMiddleware would also follow the browser's Accept-Language, so a counter PC
with an English browser would show English; staff expect Vietnamese unless they switch.
"""
from django.conf import settings
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin


class LanguageMiddleware(MiddlewareMixin):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class NoStoreMiddleware(MiddlewareMixin):
    """``Cache-Control: no-store`` on every page a signed-in user gets and on every PDF.

    Counter PCs are shared: a staff page or a printed form (CCCD, phone, address) must not stay
    in the browser's cache or a proxy's for the next person to open from history. Public pages
    that show a dossier are ``never_cache`` already; static files are served by WhiteNoise
    before this middleware and stay cacheable.
    """

    def process_response(self, request, response):
        from django.utils.cache import patch_cache_control

        user = getattr(request, "user", None)
        signed_in = user is not None and getattr(user, "is_authenticated", False)
        is_pdf = response.get("Content-Type", "").startswith("application/pdf")
        if signed_in or is_pdf:
            patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        return response
