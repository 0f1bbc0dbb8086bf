"""The site's own middleware: refusing NUL bytes in a query, and counting queries (bench)."""

from django.core.exceptions import BadRequest
from django.db import connection


class RefuseNulQueryMiddleware:
    """A NUL byte anywhere in the query string is a 400, before any view reads it.

    No browser sends one; PostgreSQL refuses it in a query ("text fields cannot contain NUL
    bytes"), so a filter parameter such as the admin's `?status__exact=%00` was a server
    error there (found by the crawling fuzzer). Forms already refuse NUL in what they read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL byte in the query string")
        return self.get_response(request)


class QueryCountMiddleware:
    """Count the database queries a request runs and report them in `X-Query-Count`.

    Installed last in MIDDLEWARE, and only when PADDOCK_QUERY_COUNT_HEADER is on, so it
    counts what the view and its template run (the session and the user included, as
    they load lazily) but not what the outer middleware does after the response, such
    as saving a changed session. WhiteNoise answers static files before it: they carry
    no header.
    """

    header = "X-Query-Count"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[self.header] = str(count)
        return response
