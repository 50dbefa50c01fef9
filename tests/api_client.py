"""The test client speaking JSON to the API with one account's bearer token (or none)."""
import json

from tilios.accounts.models import ApiToken


class Caller:
    """The test client, speaking JSON with one account's bearer token."""

    def __init__(self, client, user=None):
        self.client, self.user = client, user
        self.token = ApiToken.issue(user) if user is not None else None

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path, params=None):
        return self.client.get(path, params or {}, headers=self._headers())

    def send(self, method, path, body=None):
        return self.client.generic(method, path, json.dumps(body if body is not None else {}),
                                   content_type="application/json", headers=self._headers())

    def post(self, path, body=None):
        return self.send("POST", path, body)

    def patch(self, path, body=None):
        return self.send("PATCH", path, body)


def ok(response, status=200):
    """The JSON body of a response that has the expected status (else the body, to say why)."""
    assert response.status_code == status, response.content
    return response.json()
