from django.utils import translation


class MemberLanguageMiddleware:
    """Show a logged-in member the site in the language kept on their profile.

    LocaleMiddleware, before this one, has chosen from the language cookie or the
    browser's Accept-Language; a member's saved choice wins over both, on every device.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
