"""/healthz: is the site able to serve (the database answers)?

200 "ok" when `SELECT 1` succeeds, 503 otherwise; never cached, so a proxy cannot answer for it.
"""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = HttpResponse(
            "database unavailable", status=503, content_type="text/plain; charset=utf-8"
        )
        response["Retry-After"] = "30"
        return response
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
