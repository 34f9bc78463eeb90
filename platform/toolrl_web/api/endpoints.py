"""The JSON API (django-ninja): token auth, JSON errors naming the field, the endpoints.

Views stay thin: look up with the user's access (404 for an outsider), call a service or a
selector, return what the schema describes.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from toolrl_web.api import schemas, selectors, services
from toolrl_web.datasets.selectors import dataset_get_for_user, dataset_list_for_project
from toolrl_web.evaluations import selectors as evaluation_selectors
from toolrl_web.projects.selectors import project_get_for_user, project_list_for_user
from toolrl_web.runs import selectors as run_selectors
from toolrl_web.runs import services as run_services

RUNS_PAGE = 100


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        return services.token_authenticate(text=token)


api = NinjaAPI(
    title="ToolRL Platform API",
    version="1",
    description="Send `Authorization: Bearer <token>`; make tokens on your account page. "
    'Errors are JSON: `{"detail": [{"field": ..., "message": ...}]}`.',
    auth=TokenAuth(),
    urls_namespace="api",
)

# --- errors ---------------------------------------------------------------------------------


def _field_errors(errors: dict[str, list[str]]) -> list[dict]:
    return [
        {"field": "" if field == "__all__" else field, "message": message}
        for field, messages in errors.items()
        for message in messages
    ]


@api.exception_handler(DjangoValidationError)
def django_validation_error(request, exc: DjangoValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    return api.create_response(request, {"detail": _field_errors(errors)}, status=422)


@api.exception_handler(NinjaValidationError)
def request_validation_error(request, exc: NinjaValidationError):
    # pydantic's `loc` reads ("body", "payload", "max_steps") or ("query", "since"): keep
    # the part a client wrote.
    detail = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ())]
        if loc[:1] == ["body"]:
            loc = loc[2:] or ["body"]
        elif loc[:1] in (["query"], ["path"]):
            loc = loc[1:]
        detail.append({"field": ".".join(loc), "message": error.get("msg", "invalid")})
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # django-ninja's own refusals, e.g. a body that is not JSON (400).
    field = "body" if exc.status_code == 400 else ""
    detail = [{"field": field, "message": str(exc)}]
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc: AuthenticationError):
    message = (
        "A valid token is needed: send `Authorization: Bearer <token>` with a token made on "
        "your account page (a revoked token no longer works)."
    )
    return api.create_response(request, {"detail": message}, status=401)


@api.exception_handler(run_services.IllegalTransition)
def illegal_transition(request, exc: run_services.IllegalTransition):
    detail = [{"field": "status", "message": str(exc)}]
    return api.create_response(request, {"detail": detail}, status=409)


# --- projects and runs ----------------------------------------------------------------------


@api.get("/projects", response=list[schemas.ProjectOut], tags=["projects"])
def project_list(request):
    return project_list_for_user(user=request.auth)


@api.get("/projects/{slug}", response=schemas.ProjectOut, tags=["projects"])
def project_detail(request, slug: str):
    return project_get_for_user(user=request.auth, slug=slug)


@api.get("/projects/{slug}/runs", response=list[schemas.RunOut], tags=["runs"])
def run_list(request, slug: str, before: int | None = None):
    """The project's runs, newest first, 100 a page: pass the last id as `before` for more."""
    project = project_get_for_user(user=request.auth, slug=slug)
    runs = run_selectors.run_list_for_project(project=project).select_related("project")
    if before is not None:
        runs = runs.filter(pk__lt=before)
    return runs.order_by("-pk")[:RUNS_PAGE]


@api.post(
    "/projects/{slug}/runs",
    response={201: schemas.RunDetailOut, 422: schemas.ErrorOut},
    tags=["runs"],
)
def run_launch(request, slug: str, payload: schemas.RunLaunchIn):
    """Launch a run: the launch form's fields, with its checks and messages."""
    fields = _launch_fields(request, payload)
    project = project_get_for_user(user=request.auth, slug=slug)
    run = services.api_run_launch(project=project, user=request.auth, fields=fields)
    return Status(201, run)


@api.post(
    "/projects/{slug}/sweeps",
    response={201: list[schemas.RunDetailOut], 422: schemas.ErrorOut},
    tags=["runs"],
)
def run_sweep(request, slug: str, payload: schemas.SweepLaunchIn):
    """Launch one run per value of `sweep_field`, grouped as one sweep (their `sweep` label)."""
    fields = _launch_fields(request, payload)
    project = project_get_for_user(user=request.auth, slug=slug)
    runs = services.api_run_sweep(project=project, user=request.auth, fields=fields)
    return Status(201, runs)


def _launch_fields(request, payload) -> dict:
    """The body's fields: the schema's, typed, and every other key as sent, so that the launch
    service refuses it by name (the schema would silently drop it: a path under `data` must be
    refused, not ignored)."""
    body = json.loads(request.body or b"{}")
    # django-ninja lets a JSON array or string through as "all fields left out": refuse it.
    if not isinstance(body, dict):
        raise DjangoValidationError({"body": 'Send a JSON object, e.g. {"max_steps": 20}.'})
    known = type(payload).model_fields
    # A field left null keeps the preset's value; any other key goes on, null or not.
    typed = {k: v for k, v in payload.dict().items() if v is not None}
    return {**{k: v for k, v in body.items() if k not in known}, **typed}


@api.get("/runs/{run_id}", response=schemas.RunDetailOut, tags=["runs"])
def run_detail(request, run_id: int):
    return run_selectors.run_get_for_user(user=request.auth, run_id=run_id)


@api.post(
    "/runs/{run_id}/cancel", response={200: schemas.CancelOut, 409: schemas.ErrorOut}, tags=["runs"]
)
def run_cancel(request, run_id: int):
    """A queued run never starts; a running one writes a checkpoint and stops."""
    run = run_selectors.run_get_for_user(user=request.auth, run_id=run_id)
    outcome = run_services.run_cancel(run=run)
    run.refresh_from_db()
    return {"outcome": outcome, "run": run}


@api.post(
    "/runs/{run_id}/resume",
    response={201: schemas.RunDetailOut, 422: schemas.ErrorOut},
    tags=["runs"],
)
def run_resume(request, run_id: int):
    """A continuation of a failed or canceled run from its last checkpoint."""
    run = run_selectors.run_get_for_user(user=request.auth, run_id=run_id)
    try:
        return Status(201, run_services.run_resume(run=run, user=request.auth))
    except DjangoValidationError as exc:
        raise DjangoValidationError({"run": exc.messages}) from None


def _curve(run, points: list[dict], status: str, since: int) -> dict:
    return {
        "run": run.pk,
        "status": status,
        "final": status in ("finished", "failed", "canceled"),
        "points": points,
        "next_since": max([since, *(p["step"] for p in points)]),
    }


@api.get("/runs/{run_id}/metrics", response=schemas.CurveOut, tags=["runs"])
def run_metrics(request, run_id: int, since: int = -1):
    """Metrics logged after step `since`, the run's whole lineage joined into one curve."""
    run = run_selectors.run_get_for_user(user=request.auth, run_id=run_id)
    # The status is read before the points: when it says final, no point can come later.
    status = run.status
    points = list(run_selectors.run_metric_rows(run=run, since_step=since))
    return _curve(run, points, status, since)


@api.get("/runs/{run_id}/evaluations", response=schemas.EvaluationsOut, tags=["runs"])
def run_evaluations(request, run_id: int, since: int = -1, before: int | None = None):
    """Held-out metrics logged during training after step `since`; the evaluation jobs of the
    run (newest first, `before` pages back) and every suite's results per checkpoint."""
    run = run_selectors.run_get_for_user(user=request.auth, run_id=run_id)
    status = run.status
    curve = _curve(run, run_selectors.run_eval_rows(run=run, since_step=since), status, since)
    # All suite points, not those after `since`: an evaluation of an early checkpoint may finish
    # after a later one's, and there are a few points per suite, not one per step.
    suites = evaluation_selectors.run_suite_points(run=run)
    jobs, older = evaluation_selectors.evaluation_page_for_run(run=run, before=before)
    return {**curve, "suites": suites, "evaluations": jobs, "evaluations_before": older}


@api.get("/runs/{run_id}/rollouts", response=schemas.RolloutPageOut, tags=["runs"])
def run_rollouts(request, run_id: int, query: Query[schemas.RolloutQuery]):
    """The rollout browser's filters and order, paged by keyset: pass `next_after` as `after`."""
    run = run_selectors.run_get_for_user(user=request.auth, run_id=run_id)
    # The browser's form reads the query string as sent; the schema above documents and types it.
    page, next_after = selectors.rollouts_page(run=run, query=request.GET, limit=query.limit)
    return {"rollouts": page, "next_after": next_after}


# --- datasets and reward configurations -----------------------------------------------------


@api.get("/projects/{slug}/datasets", response=list[schemas.DatasetOut], tags=["datasets"])
def dataset_list(request, slug: str):
    project = project_get_for_user(user=request.auth, slug=slug)
    return dataset_list_for_project(project=project).select_related("project")


@api.get("/datasets/{dataset_id}", response=schemas.DatasetDetailOut, tags=["datasets"])
def dataset_detail(request, dataset_id: int):
    return dataset_get_for_user(user=request.auth, dataset_id=dataset_id)


@api.get(
    "/projects/{slug}/reward-configurations",
    response=list[schemas.RewardConfigurationOut],
    tags=["reward configurations"],
)
def reward_configuration_list(request, slug: str):
    project = project_get_for_user(user=request.auth, slug=slug)
    return selectors.reward_configuration_list_for_project(project=project).select_related(
        "project"
    )


@api.get(
    "/reward-configurations/{reward_configuration_id}",
    response=schemas.RewardConfigurationDetailOut,
    tags=["reward configurations"],
)
def reward_configuration_detail(request, reward_configuration_id: int):
    return selectors.reward_configuration_get_for_user(
        user=request.auth, reward_configuration_id=reward_configuration_id
    )
