"""What the API promises in its schema, endpoint by endpoint: strict pagination, JSON
bodies only, JSON errors (one shape, declared), nullable fields typed as such."""

import pytest
from rest_framework.test import APIClient

from tests.incidents.test_api_incidents import open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(superadmin):
    client = APIClient()
    client.force_login(superadmin)
    return client


@pytest.fixture
def schema(api):
    return api.get("/api/schema/", HTTP_ACCEPT="application/json").json()


# Pagination ---------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/monitors/", "/api/incidents/"])
@pytest.mark.parametrize("query, field", [
    ("limit=-5", "limit"), ("offset=abc", "offset"), ("limit=-5&offset=abc", "limit"), ("limit=0", "limit"),
    ("limit=1001", "limit"), ("offset=-1", "offset"), ("limit=1.5", "limit"), ("limit=1&limit=2", "limit"),
    ("offset=99999999999999999999", "offset"),
])
def test_bad_limit_or_offset_is_a_400_naming_it(api, url, query, field):
    response = api.get(f"{url}?{query}")

    assert response.status_code == 400
    assert field in response.json() and response.json()[field][0]


def test_good_limit_and_offset_page_through(api):
    for name in ("a", "b", "c"):
        open_incident(name, name)

    page = api.get("/api/incidents/?limit=2&offset=2").json()

    assert page["count"] == 3 and len(page["results"]) == 1


def test_the_schema_declares_the_bounds(schema):
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/monitors/"]["get"]["parameters"]}

    assert parameters["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["offset"]["minimum"] == 0


# Errors -------------------------------------------------------------------------


@pytest.mark.parametrize("path, method, codes", [
    ("/api/monitors/", "get", {"200", "400", "401", "403"}),
    ("/api/monitors/", "post", {"201", "400", "401", "403"}),
    ("/api/monitors/{id}/", "put", {"200", "400", "401", "403", "404"}),
    ("/api/monitors/{id}/", "delete", {"204", "401", "403", "404"}),
    ("/api/monitors/{id}/pause/", "post", {"200", "401", "403", "404"}),
    ("/api/incidents/{ref}/resolve/", "post", {"200", "400", "401", "403", "404"}),
    ("/api/monitoring/public-status/", "get", {"200", "429"}),
    ("/api/events/", "post", {"202", "400", "403", "413", "415"}),
])
def test_every_answer_an_endpoint_gives_is_declared(schema, path, method, codes):
    assert set(schema["paths"][path][method]["responses"]) == codes


def test_a_throttled_endpoint_declares_when_to_retry(schema):
    too_many = schema["paths"]["/api/monitoring/public-status/"]["get"]["responses"]["429"]

    assert too_many["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_refusals_share_one_declared_shape(schema, api):
    declared = schema["paths"]["/api/monitors/{id}/"]["get"]["responses"]["404"]
    assert declared["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]

    assert set(api.get("/api/monitors/999999/").json()) == {"detail"}
    assert set(APIClient().get("/api/monitors/").json()) == {"detail"}


@pytest.mark.parametrize("url", ["/api/monitors/0.5/", "/api/monitors/1/nope/", "/api/nothing-here"])
def test_a_url_the_api_does_not_route_is_a_json_404(api, url):
    response = api.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Not found."}


def test_pages_outside_the_api_keep_the_html_404(api):
    response = api.get("/no-such-page/")

    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


# Bodies -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/events/", "/api/monitors/", "/api/incidents/{ref}/resolve/"])
def test_bodies_are_json_only(schema, path):
    assert list(schema["paths"][path]["post"]["requestBody"]["content"]) == ["application/json"]


@pytest.mark.parametrize("path", ["/api/monitors/{id}/pause/", "/api/monitors/{id}/resume/",
                                  "/api/monitors/{id}/check/", "/api/incidents/{ref}/acknowledge/"])
def test_actions_without_input_declare_no_body(schema, path):
    assert "requestBody" not in schema["paths"][path]["post"]


def test_a_form_body_is_refused_not_half_read(api):
    incident = open_incident()

    response = api.post(f"/api/incidents/{incident.ref}/resolve/", {"note": "x"}, format="multipart")

    assert response.status_code == 415
    incident.refresh_from_db()
    assert incident.status != "resolved"


def test_a_note_must_be_a_string(api):
    incident = open_incident()

    response = api.post(f"/api/incidents/{incident.ref}/resolve/", {"note": 0}, format="json")

    assert response.status_code == 400 and "note" in response.json()


def test_a_name_may_not_be_blank_and_says_so(schema):
    assert schema["components"]["schemas"]["Monitor"]["properties"]["name"]["minLength"] == 1


# Answers ------------------------------------------------------------------------


def _ref(schema, name):
    return f"#/components/schemas/{name}"


def test_acknowledge_and_resolve_answer_what_they_declare(schema, api, superadmin):
    for action in ("acknowledge", "resolve"):
        answer = schema["paths"][f"/api/incidents/{{ref}}/{action}/"]["post"]["responses"]["200"]
        assert answer["content"]["application/json"]["schema"]["$ref"] == _ref(schema, "IncidentChange")
    change = schema["components"]["schemas"]["IncidentChange"]
    assert set(change["properties"]) == {"changed", "incident"}

    body = api.post(f"/api/incidents/{open_incident().ref}/acknowledge/").json()
    assert set(body) == {"changed", "incident"}


def test_check_now_declares_its_report(schema):
    answer = schema["paths"]["/api/monitors/{id}/check/"]["post"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"] == _ref(schema, "CheckReport")
    assert set(schema["components"]["schemas"]["CheckReport"]["properties"]) == {"checked", "up", "down", "monitor"}


def test_who_acknowledged_and_who_wrote_are_nullable(schema, api):
    components = schema["components"]["schemas"]
    assert components["Incident"]["properties"]["acknowledged_by"]["nullable"] is True
    assert components["TimelineEntry"]["properties"]["user"]["nullable"] is True

    body = api.get(f"/api/incidents/{open_incident().ref}/").json()
    assert body["acknowledged_by"] is None and body["timeline"][0]["user"] is None


def test_public_endpoints_need_no_credentials(schema):
    for path, method in (("/api/monitoring/public-status/", "get"), ("/api/events/", "post")):
        assert {} in schema["paths"][path][method]["security"]
    assert {} not in schema["paths"]["/api/monitors/"]["get"]["security"]


@pytest.mark.parametrize("field", ["period", "grace"])
def test_a_heartbeat_period_or_grace_past_a_year_is_a_400_not_a_500(api, field):
    body = {"name": "nightly", "kind": "heartbeat", "period": 3600, field: 394518028175}

    response = api.post("/api/monitors/", body, format="json")

    assert response.status_code == 400 and field in response.json()
