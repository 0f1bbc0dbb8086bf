"""Middleware used only when benchmarking (make bench)."""

from django.db import connection


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
