"""Single sign-on with OpenID Connect, against a real provider on loopback (tests/oidc.py).

The stories: a first sign-in makes a request that the person's organisation decides; an
account with a password is linked by its owner; a linked person is recognised by ``sub``
whatever their address becomes; and everything an attacker or a mistake brings (another
session's or a used state, a used nonce, a token from another issuer or for another client,
expired or signed with another key, an unknown organisation) is a French refusal page with
nothing created, and a line in the security log.
"""

import logging
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from partnership.directory import sso
from partnership.models import AccessRequest, OIDCIdentity, StaffProfile
from tests.html_forms import form_data
from tests.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    back_path,
    oidc_server,  # noqa: F401
    provider,  # noqa: F401
    provider_login,
    start,
)

User = get_user_model()
ANACT_SIRET = "18004623700045"


@pytest.fixture
def anact_sso(anact):
    anact.siret = ANACT_SIRET
    anact.email_domains = "anact.fr"
    anact.save()
    return anact


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger="partnership.security")
    return caplog


def _log_lines(caplog):
    return [record.getMessage() for record in caplog.records if record.name.endswith("security")]


def _assert_nothing_created():
    assert not OIDCIdentity.objects.exists()
    assert not AccessRequest.objects.exists()
    assert not User.objects.filter(username__contains="@").exists()


def _refused(response):
    assert response.status_code == 403
    text = response.content.decode()
    assert "Connexion avec ProConnect refusée" in text
    return text


# Switched off ---------------------------------------------------------------------------


def test_without_configuration_there_is_no_button_and_the_addresses_answer_404(client, db):
    response = client.get(reverse("login"))
    assert "ProConnect" not in response.content.decode()
    for name in ("sso_login", "oidc_callback", "sso_pending"):
        assert client.get(reverse(name)).status_code == 404


def test_the_login_page_offers_proconnect_above_the_password_form(client, provider):
    text = client.get(reverse("login")).content.decode()
    assert "S’identifier avec" in text and "ProConnect" in text
    assert text.index("proconnect-button") < text.index('name="password"')


def test_the_request_carries_state_nonce_pkce_and_acr_values(client, provider, settings, db):
    settings.OIDC_ACR_VALUES = "eidas1"
    query = parse_qs(urlsplit(start(client)).query)
    assert query["state"][0] and query["nonce"][0]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["acr_values"] == ["eidas1"]
    assert query["client_id"] == [CLIENT_ID]


# First sign-in, then the organisation decides -------------------------------------------


def test_first_sign_in_waits_for_a_coordinator_then_gets_in(
    client, provider, anact_sso, anact_coordinator, security_log
):
    provider.set_user(
        "agent-42",
        email="claire.durand@anact.fr",
        given_name="Claire",
        usual_name="Durand",
        siret=ANACT_SIRET,
    )
    response = provider_login(client, provider, "agent-42")
    assert response.status_code == 302 and response["Location"] == reverse("sso_pending")
    page = client.get(reverse("sso_pending")).content.decode()
    assert "attend la décision" in page
    assert anact_coordinator.get_full_name() in page or anact_coordinator.username in page
    # No role and no access: the session is not logged in, the account is closed.
    assert client.get(reverse("home")).status_code == 302
    person = User.objects.get(email="claire.durand@anact.fr")
    assert not person.is_active and not person.has_usable_password()
    assert (person.first_name, person.last_name) == ("Claire", "Durand")
    assert not StaffProfile.objects.filter(user=person).exists()
    access_request = person.access_request
    assert access_request.organisation == anact_sso and access_request.siret == ANACT_SIRET

    # The coordinator of Anact sees the request and approves it as a contributor.
    coordinator = client.__class__()
    coordinator.force_login(anact_coordinator)
    listing = coordinator.get(reverse("access_request_list")).content.decode()
    assert "Claire Durand" in listing
    url = reverse("access_request_detail", args=[access_request.pk])
    response = coordinator.post(url, {"role": "contributor", "decision": "approve"})
    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=person)
    assert (profile.organisation, profile.role) == (anact_sso, "contributor")

    # Signing in again, the person is in, recognised by sub.
    response = provider_login(client, provider, "agent-42")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    lines = _log_lines(security_log)
    assert any(line.startswith("sso access requested") for line in lines)
    assert any(
        line.startswith("sso access approved") and "role=contributor" in line for line in lines
    )
    assert any(line.startswith("sso login user=") for line in lines)


def test_a_refused_request_leaves_the_account_closed(
    client, provider, anact_sso, anact_coordinator, security_log
):
    provider.set_user("agent-43", email="paul@anact.fr")
    provider_login(client, provider, "agent-43")
    access_request = AccessRequest.objects.get()
    coordinator = client.__class__()
    coordinator.force_login(anact_coordinator)
    url = reverse("access_request_detail", args=[access_request.pk])
    assert coordinator.post(url, {"decision": "refuse"}).status_code == 302
    response = provider_login(client, provider, "agent-43")
    assert response["Location"] == reverse("sso_pending")
    assert "a été refusée" in client.get(reverse("sso_pending")).content.decode()
    assert client.get(reverse("home")).status_code == 302
    assert any(line.startswith("sso access refused") for line in _log_lines(security_log))


def test_the_organisation_is_found_by_its_e_mail_domain(client, provider, anact_sso):
    provider.set_user("agent-44", email="lea@ANACT.fr", siret="99999999999999")
    provider_login(client, provider, "agent-44")
    assert AccessRequest.objects.get().organisation == anact_sso


def test_a_coordinator_of_another_organisation_cannot_see_or_decide(
    client, provider, anact_sso, inrs_coordinator, anact_reader
):
    provider.set_user("agent-45", email="marc@anact.fr")
    provider_login(client, provider, "agent-45")
    access_request = AccessRequest.objects.get()
    url = reverse("access_request_detail", args=[access_request.pk])
    client.force_login(inrs_coordinator)
    assert "marc@anact.fr" not in client.get(reverse("access_request_list")).content.decode()
    assert client.get(url).status_code == 404
    assert client.post(url, {"role": "coordinator", "decision": "approve"}).status_code == 404
    client.force_login(anact_reader)
    assert client.get(reverse("access_request_list")).status_code == 403
    assert client.post(url, {"role": "reader", "decision": "approve"}).status_code == 404
    assert AccessRequest.objects.get().status == "pending"
    assert not StaffProfile.objects.filter(user=access_request.user).exists()


def test_a_coordinator_cannot_give_the_administrator_role(
    client, provider, anact_sso, anact_coordinator
):
    provider.set_user("agent-46", email="zoe@anact.fr")
    provider_login(client, provider, "agent-46")
    access_request = AccessRequest.objects.get()
    client.force_login(anact_coordinator)
    url = reverse("access_request_detail", args=[access_request.pk])
    response = client.post(url, {"role": "administrator", "decision": "approve"})
    assert response.status_code == 200
    assert not StaffProfile.objects.filter(user=access_request.user).exists()


def test_an_administrator_decides_any_request(client, provider, anact_sso, administrator):
    provider.set_user("agent-47", email="ines@anact.fr")
    provider_login(client, provider, "agent-47")
    access_request = AccessRequest.objects.get()
    client.force_login(administrator)
    url = reverse("access_request_detail", args=[access_request.pk])
    client.post(url, {"role": "coordinator", "decision": "approve"})
    assert StaffProfile.objects.get(user=access_request.user).role == "coordinator"


# Existing accounts ------------------------------------------------------------------------


def test_an_unknown_identity_with_the_address_of_an_account_is_not_linked(
    client, provider, anact_sso, anact_reader, security_log
):
    anact_reader.email = "lecteur@anact.fr"
    anact_reader.save()
    provider.set_user("attacker", email="LECTEUR@anact.fr")
    text = _refused(provider_login(client, provider, "attacker"))
    assert "mot de passe" in text
    assert not OIDCIdentity.objects.exists() and not AccessRequest.objects.exists()
    assert client.get(reverse("home")).status_code == 302


def test_a_person_links_their_identity_from_a_password_session(
    client, provider, anact_sso, anact_reader, password, security_log
):
    anact_reader.set_password(password)
    anact_reader.save()
    assert (
        client.post(
            reverse("login"), {"username": anact_reader.username, "password": password}
        ).status_code
        == 302
    )
    provider.set_user("reader-sub", email="lecteur.pro@anact.fr")
    response = client.post(reverse("sso_link"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    location = provider.authorize(response["Location"], "reader-sub")
    assert client.get(back_path(location))["Location"] == reverse("home")
    identity = OIDCIdentity.objects.get()
    assert (identity.user, identity.subject) == (anact_reader, "reader-sub")
    assert any("sso identity linked" in line for line in _log_lines(security_log))

    # Later, from another browser, ProConnect alone logs them in.
    other = client.__class__()
    response = provider_login(other, provider, "reader-sub")
    assert response["Location"] == reverse("home")
    assert other.get(reverse("home")).wsgi_request.user == anact_reader


def test_a_returning_person_is_recognised_by_sub_after_an_e_mail_change(
    client, provider, anact_sso, anact_reader
):
    OIDCIdentity.objects.create(user=anact_reader, issuer=provider.issuer, subject="moving")
    provider.set_user("moving", email="nouvelle.adresse@exemple.fr")
    response = provider_login(client, provider, "moving")
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).wsgi_request.user == anact_reader
    assert OIDCIdentity.objects.get().email == "nouvelle.adresse@exemple.fr"
    assert User.objects.count() == 1  # the reader: no new account


def test_an_identity_linked_elsewhere_is_not_moved_by_a_link(
    client, provider, anact_sso, anact_reader, anact_contributor
):
    OIDCIdentity.objects.create(user=anact_contributor, issuer=provider.issuer, subject="taken")
    provider.set_user("taken", email="x@anact.fr")
    client.force_login(anact_reader)
    location = provider.authorize(client.post(reverse("sso_link"))["Location"], "taken")
    _refused(client.get(back_path(location)))
    assert OIDCIdentity.objects.get().user == anact_contributor


def test_an_sso_session_cannot_link_another_identity(client, provider, anact_sso, anact_reader):
    OIDCIdentity.objects.create(user=anact_reader, issuer=provider.issuer, subject="r1")
    provider.set_user("r1", email="r1@anact.fr")
    provider_login(client, provider, "r1")
    assert client.post(reverse("sso_link")).status_code == 403


# Refusals: nothing created ---------------------------------------------------------------


def test_no_organisation_for_the_domain_or_siret(client, provider, anact_sso, security_log):
    provider.set_user("stranger", email="someone@ailleurs.fr", siret="12345678901234")
    text = _refused(provider_login(client, provider, "stranger"))
    assert "organisme ne fait pas partie" in text
    _assert_nothing_created()
    assert any("sso refused reason=no organisation" in line for line in _log_lines(security_log))


def test_a_state_from_another_session_is_refused(client, provider, anact_sso):
    provider.set_user("agent-50", email="a50@anact.fr")
    location = provider.authorize(start(client), "agent-50")
    other = client.__class__()
    _refused(other.get(back_path(location)))
    _assert_nothing_created()


def test_a_replayed_state_is_refused(client, provider, anact_sso, anact_reader):
    OIDCIdentity.objects.create(user=anact_reader, issuer=provider.issuer, subject="r2")
    provider.set_user("r2", email="r2@anact.fr")
    location = provider.authorize(start(client), "r2")
    assert client.get(back_path(location)).status_code == 302
    client.logout()
    _refused(client.get(back_path(location)))


def test_a_forged_state_is_refused(client, provider, anact_sso):
    start(client)
    _refused(client.get(reverse("oidc_callback") + "?state=forged&code=abc"))
    _assert_nothing_created()


def test_a_replayed_nonce_is_refused(client, provider, anact_sso, security_log):
    """The code of a first sign-in, brought back under a second one's state: its ID token
    carries the first nonce."""
    provider.set_user("agent-51", email="a51@anact.fr")
    first = parse_qs(urlsplit(provider.authorize(start(client), "agent-51")).query)
    second_state = parse_qs(urlsplit(start(client)).query)["state"][0]
    url = reverse("oidc_callback") + f"?state={second_state}&code={first['code'][0]}"
    _refused(client.get(url))
    _assert_nothing_created()
    assert any("reason=token nonce refused" in line for line in _log_lines(security_log))


def test_a_provider_error_is_refused(client, provider, anact_sso):
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    text = _refused(client.get(reverse("oidc_callback") + f"?state={state}&error=access_denied"))
    assert "annulée ou refusée" in text


def test_a_state_older_than_fifteen_minutes_is_refused(client, provider, anact_sso):
    provider.set_user("agent-52", email="a52@anact.fr")
    location = provider.authorize(start(client), "agent-52")
    session = client.session
    for entry in session["oidc_states"].values():
        entry["added_on"] -= sso.STATE_MAX_AGE + 1
    session.save()
    _refused(client.get(back_path(location)))
    _assert_nothing_created()


# The ID token's checks, on tokens crafted with the provider's key format or our own -------


@pytest.fixture
def own_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _claims(provider, **overrides):
    now = int(time.time())
    return {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "sub": "crafted",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        **overrides,
    }


def _publish(key, kid="own-key"):
    """Our key as the provider's JWKS in the cache (as if the provider published it)."""
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    cache.set(sso.JWKS_CACHE_KEY, {"keys": [{**public, "kid": kid, "alg": "RS256"}]}, 600)


def _sign(key, claims, kid="own-key"):
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "http://127.0.0.1:1"}, "token issuer refused"),
        ({"aud": "another-client"}, "token audience refused"),
        ({"exp": int(time.time()) - 120}, "token expired"),
        ({"nonce": "another"}, "token nonce refused"),
    ],
)
def test_crafted_id_tokens_are_refused(provider, own_key, overrides, reason, db):
    _publish(own_key)
    backend = sso.SSOBackend()
    with pytest.raises(sso.SSORefused) as refusal:
        backend.verify_token(_sign(own_key, _claims(provider, **overrides)), nonce="n-1")
    assert refusal.value.reason == reason


def test_a_token_within_the_clock_skew_is_accepted(provider, own_key, db):
    _publish(own_key)
    claims = _claims(provider, exp=int(time.time()) - 30)
    assert sso.SSOBackend().verify_token(_sign(own_key, claims), nonce="n-1")["sub"] == "crafted"


def test_a_token_signed_with_another_key_under_a_known_kid_is_refused(provider, own_key, db):
    _publish(own_key)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(sso.SSORefused) as refusal:
        sso.SSOBackend().verify_token(_sign(forger, _claims(provider)), nonce="n-1")
    assert refusal.value.reason.startswith("token refused")


def test_an_unsigned_or_symmetric_token_is_refused(provider, db):
    unsigned = jwt.encode(_claims(provider), None, algorithm="none")
    hmac = jwt.encode(_claims(provider), CLIENT_SECRET * 2, algorithm="HS256")
    for token in (unsigned, hmac):
        with pytest.raises(sso.SSORefused):
            sso.SSOBackend().verify_token(token, nonce="n-1")


def test_an_unknown_kid_fetches_the_keys_again(client, provider, anact_sso, anact_reader, own_key):
    """Key rotation: the cached keys are an old set; the provider's token names a key not in
    it, so its JWKS is read again and the sign-in succeeds."""
    OIDCIdentity.objects.create(user=anact_reader, issuer=provider.issuer, subject="r3")
    provider.set_user("r3", email="r3@anact.fr")
    _publish(own_key, kid="retired-key")
    response = provider_login(client, provider, "r3")
    assert response["Location"] == reverse("home")
    assert cache.get(sso.JWKS_CACHE_KEY) == provider.jwks()


def test_a_signed_userinfo_jwt_is_checked(provider, own_key, db):
    _publish(own_key)
    backend = sso.SSOBackend()
    claims = {"iss": provider.issuer, "aud": CLIENT_ID, "sub": "crafted", "siret": ANACT_SIRET}
    assert backend.verify_token(_sign(own_key, claims))["siret"] == ANACT_SIRET
    with pytest.raises(sso.SSORefused):
        backend.verify_token(_sign(own_key, {**claims, "aud": "another"}))


# Logout ---------------------------------------------------------------------------------


def test_logout_ends_the_provider_session(client, provider, anact_sso, anact_reader):
    OIDCIdentity.objects.create(user=anact_reader, issuer=provider.issuer, subject="r4")
    provider.set_user("r4", email="r4@anact.fr")
    provider_login(client, provider, "r4")
    id_token = client.session[sso.ID_TOKEN_KEY]
    response = client.post(reverse("logout"))
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{provider.url}/oauth2/end_session"
    )
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver" + reverse("login")]
    assert client.get(reverse("home")).status_code == 302


def test_a_password_session_logs_out_here_only(client, provider, anact_reader):
    client.force_login(anact_reader)
    assert client.post(reverse("logout"))["Location"] == reverse("login")


# The back office -------------------------------------------------------------------------


def test_an_administrator_links_and_unlinks_an_identity(
    client, administrator, anact_reader, security_log
):
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[anact_reader.pk])
    data = form_data(client.get(url))
    prefix = "oidc_identities"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-issuer": "https://proconnect.example",
            f"{prefix}-0-subject": "abc-123",
            f"{prefix}-0-email": "lecteur@anact.fr",
            f"{prefix}-0-user": str(anact_reader.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    identity = OIDCIdentity.objects.get()
    assert (identity.user, identity.subject) == (anact_reader, "abc-123")
    data = form_data(client.get(url))
    data[f"{prefix}-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not OIDCIdentity.objects.exists()
    lines = _log_lines(security_log)
    assert any(line.startswith("sso identity linked") and "by=admin" in line for line in lines)
    assert any(line.startswith("sso identity unlinked") for line in lines)


def test_the_back_office_shows_the_organisation_matching_fields(client, administrator, anact):
    client.force_login(administrator)
    page = client.get(reverse("admin:partnership_organisation_change", args=[anact.pk]))
    assert 'name="siret"' in page.content.decode()
    assert 'name="email_domains"' in page.content.decode()


def test_staff_cannot_set_the_matching_fields_on_the_site(client, anact_coordinator, anact):
    client.force_login(anact_coordinator)
    url = reverse("organisation_update", args=[anact.pk])
    data = {**form_data(client.get(url)), "siret": "12345678901234", "email_domains": "evil.fr"}
    client.post(url, data)
    anact.refresh_from_db()
    assert (anact.siret, anact.email_domains) == ("", "")


# The dashboard ---------------------------------------------------------------------------


@pytest.mark.parametrize("waiting", [1, 5])
def test_coordinators_see_the_waiting_requests_on_their_dashboard_in_constant_queries(
    client, provider, anact_sso, anact_coordinator, inrs, django_assert_num_queries, waiting
):
    for number in range(waiting):
        AccessRequest.objects.create(
            user=User.objects.create(username=f"attente{number}", is_active=False),
            organisation=anact_sso,
        )
    AccessRequest.objects.create(
        user=User.objects.create(username="ailleurs", is_active=False), organisation=inrs
    )
    client.force_login(anact_coordinator)
    client.get(reverse("home"))
    # The dashboard's queries for a coordinator (test_dashboard.py: 13, the programming
    # invitations included), the count of waiting requests and the bell's unread count.
    with django_assert_num_queries(15):
        page = client.get(reverse("home")).content.decode()
    assert f"{waiting} personne" in page
    assert reverse("access_request_list") in page


def test_readers_see_no_request_on_their_dashboard(client, provider, anact_sso, anact_reader):
    AccessRequest.objects.create(
        user=User.objects.create(username="attente", is_active=False), organisation=anact_sso
    )
    client.force_login(anact_reader)
    assert 'id="access-requests"' not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("rows", [1, 8])
def test_the_request_list_costs_the_same_at_any_size(
    client, anact_sso, anact_coordinator, django_assert_num_queries, rows
):
    for number in range(rows):
        AccessRequest.objects.create(
            user=User.objects.create(username=f"p{number}", is_active=False),
            organisation=anact_sso,
        )
    client.force_login(anact_coordinator)
    client.get(reverse("access_request_list"))
    # The session, the person, their profile and organisation, the requests.
    # ... and the bell's unread count.
    with django_assert_num_queries(5):
        client.get(reverse("access_request_list"))


def test_a_closed_account_is_refused_even_with_its_identity(
    client, provider, anact_sso, anact_reader
):
    OIDCIdentity.objects.create(user=anact_reader, issuer=provider.issuer, subject="gone")
    AccessRequest.objects.create(user=anact_reader, organisation=anact_sso, status="approved")
    anact_reader.is_active = False
    anact_reader.save()
    provider.set_user("gone", email="gone@anact.fr")
    _refused(provider_login(client, provider, "gone"))
    assert client.get(reverse("home")).status_code == 302


def test_the_listed_domains_are_checked(anact):
    anact.email_domains = "anact.fr\n@Aract.fr, inrs.fr"
    anact.full_clean()
    assert anact.domains == {"anact.fr", "aract.fr", "inrs.fr"}
    anact.email_domains = "pas un domaine"
    with pytest.raises(ValidationError):
        anact.full_clean()


def test_a_domain_listed_by_two_organisations_matches_neither(anact, inrs):
    anact.email_domains = inrs.email_domains = "partage.fr"
    anact.save()
    inrs.save()
    assert sso.matching_organisation(siret="", email="x@partage.fr") is None
    assert sso.matching_organisation(siret="", email="x@anact-partage.fr") is None
