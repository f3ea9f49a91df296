"""A test LMS: an LTI 1.3 platform served over HTTP from a thread, for the LTI tests.

It has what a real platform offers a tool: signing keys and their JWKS, an OIDC
authentication endpoint (answering with an auto-posting form, as Moodle and Canvas do), a
token endpoint that checks the tool's signed client assertion against the tool's JWKS, AGS
line items and scores, and NRPS members. What the tool sent is kept for the tests to read.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from lti import claims

CLIENT_ID = "zachet-tool-client"
DEPLOYMENT_ID = "deployment-1"
CONTEXT_ID = "course-101"
NRPS_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def new(cls) -> SigningKey:
        return cls(
            secrets.token_hex(8), rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}


@dataclass
class LmsServer:
    base_url: str = ""
    key: SigningKey = field(default_factory=SigningKey.new)
    # The tool's public keys, for the token endpoint (set by the test: the tool's JWKS).
    tool_jwks: dict[str, Any] = field(default_factory=dict)
    tool_jwks_url: str = ""
    lineitems: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    score_headers: list[dict[str, str]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    token_requests: int = 0
    # Answers to fail with before the next successes: {"scores": [503, 500]}.
    failures: dict[str, list[int]] = field(default_factory=dict)
    # What the next OIDC authentication puts in its id_token, besides the defaults.
    launch_claims: dict[str, Any] = field(default_factory=dict)
    deep_link_responses: list[dict[str, Any]] = field(default_factory=list)
    # Dynamic registration: the token it expects, and what tools registered.
    registration_token: str = "reg-token-1"
    registrations: list[dict[str, Any]] = field(default_factory=list)
    # The issuer its OpenID configuration names (a test may make it lie).
    configured_issuer: str = ""

    @property
    def issuer(self) -> str:
        return self.base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    # --- tokens the platform signs ---------------------------------------------------------

    def id_token(
        self,
        *,
        nonce: str,
        sub: str = "learner-1",
        roles: list[str] | None = None,
        target_link_uri: str = "",
        resource_link_id: str = "link-1",
        message_type: str = claims.RESOURCE_LINK_REQUEST,
        key: SigningKey | None = None,
        algorithm: str = "RS256",
        header: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "given_name": "Ada",
            "family_name": "Lovelace",
            claims.MESSAGE_TYPE: message_type,
            claims.VERSION: "1.3.0",
            claims.DEPLOYMENT_ID: DEPLOYMENT_ID,
            claims.TARGET_LINK_URI: target_link_uri,
            claims.ROLES: roles if roles is not None else [claims.ROLE_LEARNER],
            claims.CONTEXT: {"id": CONTEXT_ID, "title": "Go 101"},
            claims.AGS_ENDPOINT: {
                "scope": [claims.SCOPE_LINEITEM, claims.SCOPE_SCORE],
                "lineitems": self.url(f"/ags/{CONTEXT_ID}/lineitems"),
                "lineitem": self.url(f"/ags/{CONTEXT_ID}/lineitems/{resource_link_id}"),
            },
            claims.NRPS: {
                "context_memberships_url": self.url(f"/nrps/{CONTEXT_ID}/members"),
                "service_versions": ["2.0"],
            },
        }
        if message_type == claims.RESOURCE_LINK_REQUEST:
            body[claims.RESOURCE_LINK] = {"id": resource_link_id, "title": "Quiz"}
        else:
            body[claims.DL_SETTINGS] = {
                "deep_link_return_url": self.url("/deep-link-return"),
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "opaque-dl-data",
            }
        body.update(overrides)
        body = {name: value for name, value in body.items() if value is not None}
        signer = key or self.key
        if algorithm == "HS256":
            return jwt.encode(
                body,
                "a-shared-secret-guess-long-enough-for-hs256",
                algorithm="HS256",
                headers={"kid": signer.kid, **(header or {})},
            )
        return jwt.encode(
            body, signer.private, algorithm=algorithm, headers={"kid": signer.kid, **(header or {})}
        )

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.jwk()]}

    # --- what the tool calls -----------------------------------------------------------------

    def _fail(self, what: str) -> int | None:
        queue = self.failures.get(what) or []
        return queue.pop(0) if queue else None

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint (Security Framework 4.1): a JWT bearer client assertion."""
        self.token_requests += 1
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_assertion_type")
            != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return 400, {"error": "unsupported_grant_type"}
        assertion = form.get("client_assertion", "")
        try:
            kid = jwt.get_unverified_header(assertion)["kid"]
            jwk = next(k for k in self.tool_jwks_keys() if k["kid"] == kid)
            body = jwt.decode(
                assertion,
                jwt.PyJWK.from_dict(jwk).key,
                algorithms=["RS256"],
                audience=self.url("/token"),
                issuer=CLIENT_ID,
                options={"require": ["exp", "iat", "jti", "sub"]},
            )
        except (jwt.InvalidTokenError, StopIteration, KeyError) as error:
            return 401, {"error": "invalid_client", "error_description": str(error)}
        if body["sub"] != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(16)
        self.tokens[token] = form.get("scope", "").split()
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": form.get("scope", ""),
        }

    def tool_jwks_keys(self) -> list[dict[str, Any]]:
        if self.tool_jwks_url:
            from urllib.request import urlopen

            with urlopen(self.tool_jwks_url, timeout=5) as response:
                return list(json.load(response)["keys"])
        return list(self.tool_jwks.get("keys", []))

    def authorized(self, headers: Any, scope: str) -> bool:
        value = str(headers.get("Authorization", ""))
        token = value.removeprefix("Bearer ")
        return value.startswith("Bearer ") and scope in self.tokens.get(token, [])


class _Handler(BaseHTTPRequestHandler):
    lms: LmsServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        lms = self.lms
        parts = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        if parts.path == "/jwks":
            self._send(200, lms.jwks())
        elif parts.path == "/auth":
            self._authenticate(query)
        elif parts.path.startswith("/nrps/"):
            if not lms.authorized(self.headers, claims.SCOPE_NRPS):
                self._send(401, {"error": "unauthorized"})
                return
            # Pages of two members, linked by rel="next" (NRPS 2.0, 2.4.2).
            page = int(query.get("page", "0"))
            members = lms.members[page * 2 : page * 2 + 2]
            body = json.dumps({"id": lms.url(parts.path), "context": {"id": CONTEXT_ID},
                               "members": members}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header(
                "Content-Type", "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
            )
            self.send_header("Content-Length", str(len(body)))
            if len(lms.members) > page * 2 + 2:
                self.send_header("Link", f'<{lms.url(parts.path)}?page={page + 1}>; rel="next"')
            self.end_headers()
            self.wfile.write(body)
        elif parts.path.startswith("/ags/") and "/lineitems" in parts.path:
            if not lms.authorized(self.headers, claims.SCOPE_LINEITEM):
                self._send(401, {"error": "unauthorized"})
                return
            self._send(
                200,
                list(lms.lineitems.values()),
                "application/vnd.ims.lis.v2.lineitemcontainer+json",
            )
        elif parts.path == "/.well-known/openid-configuration":
            self._send(
                200,
                {
                    "issuer": lms.configured_issuer or lms.issuer,
                    "authorization_endpoint": lms.url("/auth"),
                    "token_endpoint": lms.url("/token"),
                    "jwks_uri": lms.url("/jwks"),
                    "registration_endpoint": lms.url("/register"),
                    "scopes_supported": [
                        "openid",
                        claims.SCOPE_SCORE,
                        claims.SCOPE_LINEITEM,
                        claims.SCOPE_NRPS,
                    ],
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": "test-lms",
                        "version": "1.0",
                        "messages_supported": [
                            {"type": "LtiResourceLinkRequest"},
                            {"type": "LtiDeepLinkingRequest"},
                        ],
                    },
                },
            )
        elif parts.path == "/page":
            self._send(200, query.get("html", ""), "text/html")
        else:
            self._send(404, {"error": "not found"})

    def _authenticate(self, query: dict[str, str]) -> None:
        """The OIDC authentication request: checked, then answered with an auto-posting form
        carrying the id_token to the tool's redirect_uri (response_mode=form_post)."""
        lms = self.lms
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": CLIENT_ID,
        }
        wrong = [name for name, value in expected.items() if query.get(name) != value]
        if wrong or not query.get("nonce") or not query.get("redirect_uri"):
            self._send(400, {"error": "invalid_request", "wrong": wrong})
            return
        hint = json.loads(query.get("lti_message_hint") or "{}")
        token = lms.id_token(
            nonce=query["nonce"],
            sub=query.get("login_hint", "learner-1"),
            **{**hint, **lms.launch_claims},
        )
        form = (
            f'<form id="f" method="post" action="{html.escape(query["redirect_uri"])}">'
            f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
            f'<input type="hidden" name="state" value="{html.escape(query.get("state", ""))}">'
            "</form><script>document.getElementById('f').submit()</script>"
        )
        self._send(200, form, "text/html")

    def do_POST(self) -> None:
        lms = self.lms
        parts = urlsplit(self.path)
        body = self._body()
        if parts.path == "/token":
            form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
            failure = lms._fail("token")
            status, answer = (failure, {"error": "busy"}) if failure else lms.token(form)
            self._send(status, answer)
        elif parts.path.endswith("/scores"):
            if not lms.authorized(self.headers, claims.SCOPE_SCORE):
                self._send(401, {"error": "unauthorized"})
                return
            failure = lms._fail("scores")
            if failure:
                self._send(failure, {"error": "busy"})
                return
            score = json.loads(body)
            score["lineitem"] = parts.path.removesuffix("/scores")
            lms.scores.append(score)
            lms.score_headers.append({"Content-Type": str(self.headers.get("Content-Type"))})
            self._send(200, {})
        elif parts.path.endswith("/lineitems"):
            if not lms.authorized(self.headers, claims.SCOPE_LINEITEM):
                self._send(401, {"error": "unauthorized"})
                return
            item = json.loads(body)
            item["id"] = lms.url(parts.path + "/" + secrets.token_hex(4))
            lms.lineitems[item["id"]] = item
            self._send(201, item, "application/vnd.ims.lis.v2.lineitem+json")
        elif parts.path == "/register":
            if self.headers.get("Authorization") != f"Bearer {lms.registration_token}":
                self._send(401, {"error": "invalid_token"})
                return
            registration = json.loads(body)
            lms.registrations.append(registration)
            tool = "https://purl.imsglobal.org/spec/lti-tool-configuration"
            self._send(
                200,
                {
                    **registration,
                    "client_id": CLIENT_ID,
                    tool: {**registration[tool], "deployment_id": DEPLOYMENT_ID},
                },
            )
        elif parts.path == "/deep-link-return":
            form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
            lms.deep_link_responses.append(form)
            self._send(200, "<p id='deep-link-done'>received</p>", "text/html")
        else:
            self._send(404, {"error": "not found"})


@contextmanager
def running_lms() -> Iterator[LmsServer]:
    lms = LmsServer()
    handler = type("Handler", (_Handler,), {"lms": lms})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    lms.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield lms
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
