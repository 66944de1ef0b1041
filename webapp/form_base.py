"""The base of the portal's forms: a page drawn for a refused form answers 422, not 200.

A view that refuses what was posted draws the form again with its messages. Said by each view,
the status was forgotten in many (issue 12's notes); said here once, it holds for every form:
each form registers itself with the request, and after the view, a POST answered with an HTML
page while any of its forms holds an error (of its validators, or a service's refusal the view
put on a field) answers 422 Unprocessable Content. Redirects, JSON and other statuses (429, 410)
are left as the view set them."""

from __future__ import annotations

from flask import Response, g, request
from flask_wtf import FlaskForm


class Form(FlaskForm):
    """FlaskForm, known to the request it was made in (refused_forms_answer_422)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        g.setdefault("forms", []).append(self)


def refused_forms_answer_422(response: Response) -> Response:
    """after_request: the page of a POST with a refused form is 422."""
    if (
        request.method == "POST"
        and response.status_code == 200
        and response.mimetype == "text/html"
        and any(form.errors for form in g.get("forms", ()))
    ):
        response.status_code = 422
    return response
