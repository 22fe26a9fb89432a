"""Vietnamese first: the UI language is the one the user chose (cookie), else Vietnamese.

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
