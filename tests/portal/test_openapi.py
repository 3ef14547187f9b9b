"""The OpenAPI schema (/api/schema/) and its docs (/api/docs/): generated without a warning,
for the team (staff and above) only, with assets served by Vigil itself."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_generates_and_validates_without_a_warning(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    schema = yaml.safe_load(out.read_text())
    assert {"/api/monitors/", "/api/incidents/", "/api/events/", "/api/monitoring/error-stats/"} <= set(schema["paths"])


@pytest.mark.parametrize("who, code", [("anonymous", 401), ("no_role", 403)])
def test_the_public_may_not_read_the_schema_or_the_docs(role_clients, who, code):
    for url in ("/api/schema/", "/api/docs/", "/api/docs/redoc/"):
        assert role_clients[who].get(url).status_code == code, url


@pytest.mark.parametrize("who", ["staff", "engineer", "super_admin"])
def test_the_team_reads_the_schema(role_clients, who):
    response = role_clients[who].get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Vigil API"
    monitor = schema["components"]["schemas"]["Monitor"]["properties"]
    assert monitor["status_code"]["type"] == "integer"
    assert monitor["uptime_24h"]["type"] == "number" and monitor["uptime_24h"]["nullable"] is True
    assert "auth_password" in monitor and monitor["auth_password"].get("writeOnly") is True


def test_the_events_api_is_described_with_its_body_and_answers(role_clients):
    schema = role_clients["staff"].get("/api/schema/", HTTP_ACCEPT="application/json").json()

    post = schema["paths"]["/api/events/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/EventBody")
    assert {"202", "400", "403", "413", "415"} <= set(post["responses"])
    severities = schema["components"]["schemas"]["EventSeverityEnum"]["enum"]
    assert severities == ["critical", "error", "warning", "info"]


@pytest.mark.parametrize("url, asset", [("/api/docs/", "drf_spectacular_sidecar/swagger-ui-dist/"),
                                        ("/api/docs/redoc/", "drf_spectacular_sidecar/redoc/")])
def test_the_docs_load_their_assets_from_vigil_not_a_cdn(role_clients, url, asset):
    response = role_clients["staff"].get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert asset in html
    assert "cdn.jsdelivr.net" not in html
