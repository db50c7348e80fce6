"""A small OpenID Connect provider for tests, served on 127.0.0.1 by uvicorn.

It does what a real provider does on the authorization code flow, strictly: discovery,
JWKS, an authorization endpoint that "logs in" the user the test chose and redirects back
with a single-use code, and a token endpoint that checks the client secret, the redirect
URI and the PKCE verifier (S256) before signing an RS256 id token with the nonce it was
given. Tests can make it misbehave (a wrong nonce, another issuer) to see rengo refuse.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "rengo-test"
CLIENT_SECRET = "provider-test-secret"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    nonce: str
    subject: str
    claims: dict[str, Any]


@dataclass
class StubProvider:
    base_url: str = ""
    login_as: dict[str, Any] = field(default_factory=dict)
    """The claims of the user who 'logs in' at the provider (``sub`` and any others)."""
    wrong_nonce: bool = False
    issuer_override: str = ""
    grants: dict[str, Grant] = field(default_factory=dict)
    seen_authorize: list[dict[str, str]] = field(default_factory=list)
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
    )

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.base_url,
                "authorization_endpoint": f"{self.base_url}/authorize",
                "token_endpoint": f"{self.base_url}/token",
                "jwks_uri": f"{self.base_url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/authorize")
        def authorize(request: Request) -> RedirectResponse:
            params = dict(request.query_params)
            self.seen_authorize.append(params)
            if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
                raise HTTPException(400, "bad client or response type")
            code = secrets.token_urlsafe(16)
            self.grants[code] = Grant(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                challenge=params.get("code_challenge", ""),
                method=params.get("code_challenge_method", ""),
                nonce=params.get("nonce", ""),
                subject=str(self.login_as.get("sub", "")),
                claims=dict(self.login_as),
            )
            query = urlencode({"code": code, "state": params.get("state", "")})
            return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

        @app.post("/token")
        def token(
            request: Request,
            grant_type: str = Form(),
            code: str = Form(),
            redirect_uri: str = Form(),
            code_verifier: str = Form(""),
        ) -> JSONResponse:
            if not self._client_ok(request):
                return JSONResponse({"error": "invalid_client"}, 401)
            grant = self.grants.pop(code, None)  # single use
            if grant is None or grant_type != "authorization_code":
                return JSONResponse({"error": "invalid_grant"}, 400)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant.method != "S256" or expected != grant.challenge:
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            if redirect_uri != grant.redirect_uri:
                return JSONResponse({"error": "invalid_grant"}, 400)
            now = int(time.time())
            claims = {
                "iss": self.issuer_override or self.base_url,
                "aud": grant.client_id,
                "iat": now,
                "exp": now + 300,
                "nonce": "not-the-nonce" if self.wrong_nonce else grant.nonce,
                **grant.claims,
            }
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                }
            )

        return app

    @staticmethod
    def _client_ok(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == CLIENT_ID and password == CLIENT_SECRET
