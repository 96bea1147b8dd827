"""A real OpenID Connect provider on loopback for the single sign-on tests.

``oidc-provider-mock`` (authlib underneath) serves discovery, authorisation, token, userinfo,
JWKS and end-of-session endpoints and signs its tokens with an RSA key of its own. The
fixture starts it once per test session as an HTTP server on 127.0.0.1 and a free port, in a
thread, and waits at most five seconds for its discovery document.

``provider_login`` plays the person at the provider: it follows the site's redirect to the
provider, picks the identity on the provider's login form (a POST, as the browser would) and
returns the address the provider sends the browser back to.
"""

import os
import threading
import time
from urllib.parse import urlsplit

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from django.core.cache import cache
from django.urls import reverse

CLIENT_ID = "suivi-partenariat"
CLIENT_SECRET = "secret-du-client-de-test"
STARTUP_SECONDS = 5


class Provider:
    def __init__(self, url: str):
        self.url = url
        self.issuer = url

    def set_user(self, sub: str, **claims):
        """The identity ``sub`` at the provider, with these claims."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()

    def authorize(self, authorize_url: str, sub: str) -> str:
        """The person picks the identity on the provider's form; the address back to us."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def jwks(self) -> dict:
        return requests.get(f"{self.url}/jwks", timeout=5).json()


@pytest.fixture(scope="session")
def oidc_server():
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP, on loopback only
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            requests.get(f"{url}/.well-known/openid-configuration", timeout=1).raise_for_status()
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                server.shutdown()
                raise RuntimeError("the OpenID Connect provider did not start") from None
            time.sleep(0.05)
    yield Provider(url)
    server.shutdown()
    thread.join(5)


@pytest.fixture
def provider(oidc_server, settings):
    """Single sign-on switched on, with the loopback provider."""
    settings.OIDC_ENABLED = True
    settings.OIDC_DISCOVERY_URL = f"{oidc_server.url}/.well-known/openid-configuration"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": ["'self'", oidc_server.url],
    }
    cache.delete_many(["oidc:discovery", "oidc:jwks"])
    yield oidc_server
    cache.delete_many(["oidc:discovery", "oidc:jwks"])


def start(client, next_url=None) -> str:
    """The site's redirect to the provider's authorisation endpoint."""
    url = reverse("sso_login") + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302
    return response["Location"]


def back_path(location: str) -> str:
    """The path and query of the provider's redirect back to the site (the test client's)."""
    parts = urlsplit(location)
    assert parts.netloc == "testserver", location
    return f"{parts.path}?{parts.query}"


def provider_login(client, provider, sub, next_url=None):
    """A whole sign-in: the site's response to the provider's redirect back."""
    location = provider.authorize(start(client, next_url), sub)
    return client.get(back_path(location))
