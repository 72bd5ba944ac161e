"""Request middleware of the pages: the language, and NUL bytes in parameters."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose another language (cookie), whatever the browser
    asks for: the people who use this system work in Chinese."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class StripNullCharactersMiddleware:
    """Drop NUL bytes from query and form parameters: PostgreSQL cannot store them in text, and a
    pasted control character should not turn a reviewer's opinion into a server error.

    The API's bodies are left to the API: its parsers read them and answer an unreadable one in
    JSON, and its text fields refuse NUL bytes. Read here, before the view, a broken multipart
    body was Django's HTML error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        names = ("GET",) if request.path.startswith("/api/") else ("GET", "POST")
        for name in names:
            params = getattr(request, name)
            if any(
                "\x00" in key or any("\x00" in v for v in params.getlist(key)) for key in params
            ):
                cleaned = params.copy()
                for key in list(cleaned):
                    values = [v.replace("\x00", "") for v in cleaned.getlist(key)]
                    del cleaned[key]
                    cleaned.setlist(key.replace("\x00", ""), values)
                setattr(request, name, cleaned)
        return self.get_response(request)
